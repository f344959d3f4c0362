"""Writes of the knowledge base: articles and FAQ entries, their search words, archiving."""

from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.core.errors import ApplicationError
from policydesk.core.services import service

from .models import Article, ArticleSearchToken
from .search import article_tokens

ARTICLE_FIELDS = ("kind", "title", "body", "category", "language", "is_current")


def _index(article: Article) -> None:
    wanted = article_tokens(article.title, article.body)
    existing = set(ArticleSearchToken.objects.filter(article=article).values_list("token", flat=True))
    ArticleSearchToken.objects.filter(article=article, token__in=existing - wanted).delete()
    ArticleSearchToken.objects.bulk_create(ArticleSearchToken(article=article, token=t) for t in wanted - existing)


def _clean(article: Article) -> None:
    from django.core.exceptions import ValidationError

    article.title = (article.title or "").strip()
    article.body = (article.body or "").strip()
    try:
        article.full_clean(validate_unique=False)
    except ValidationError as exc:
        raise ApplicationError(_("Please correct the errors below."), errors=exc.message_dict) from exc


@service
def article_create(*, actor, title: str, body: str, products=(), **fields) -> Article:
    article = Article(title=title, body=body, author=actor if actor.pk else None,
                      **{k: v for k, v in fields.items() if k in ARTICLE_FIELDS})
    _clean(article)
    article.save()
    article.products.set(products)
    _index(article)
    return article


@service
def article_update(*, actor, article: Article, products=None, **changes) -> Article:
    if article.archived_at is not None:
        raise ApplicationError(_("The article is archived."))
    for name, value in changes.items():
        if name in ARTICLE_FIELDS:
            setattr(article, name, value)
    _clean(article)
    article.save()
    if products is not None:
        article.products.set(products)
    _index(article)
    return article


@service
def article_archive(*, actor, article: Article) -> Article:
    """Archive the article: it leaves the knowledge base's lists and search, and is kept (with the
    requests it answered)."""
    if article.archived_at is None:
        article.archived_at = timezone.now()
        article.is_current = False
        article.save(update_fields=["archived_at", "is_current", "updated_at"])
    return article
