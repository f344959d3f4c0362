"""Knowledge-base search on a token table (as client names: docs/development.md).

Each folded word of an article's title and answer is a token; a run of Chinese characters (no
spaces between words) gives a token at every character, of up to ``CJK_PIECE`` characters, so that
any part of the text is the prefix of a token. A query word matches an article when it is the
prefix of one of its tokens (an index range, not LIKE); several words must all match.
"""

from django.db.models import Q

from policydesk.core.text import _WORD_RE, MAX_TOKEN, _is_cjk, fold

CJK_PIECE = 12


def _pieces(word: str) -> set[str]:
    if any(_is_cjk(ch) for ch in word):
        return {word[start:start + CJK_PIECE] for start in range(len(word))}
    return {word[:MAX_TOKEN]}


def article_tokens(*texts: str) -> set[str]:
    tokens: set[str] = set()
    for word in _WORD_RE.findall(fold(" ".join(t for t in texts if t))):
        tokens |= _pieces(word)
    return tokens


def query_words(query: str) -> list[str]:
    """The words of a query as they are matched: folded, a Chinese word cut to a token's length."""
    words = []
    for word in _WORD_RE.findall(fold(query or "")):
        words.append(word[:CJK_PIECE] if any(_is_cjk(ch) for ch in word) else word[:MAX_TOKEN])
    return list(dict.fromkeys(words))


def _prefix(word: str) -> Q:
    return Q(token__gte=word, token__lt=word + "\U0010ffff")


def article_search(queryset, query: str):
    """``queryset`` narrowed to the articles matching every word of ``query``."""
    from .models import ArticleSearchToken

    words = query_words(query)
    for word in words:
        queryset = queryset.filter(pk__in=ArticleSearchToken.objects.filter(_prefix(word)).values("article_id"))
    return queryset
