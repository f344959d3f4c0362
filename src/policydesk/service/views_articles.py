"""Pages of the knowledge base: the list with its search across languages, an article's card (with
the requests it answered), writing, editing and archiving an article; and the working hours."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from policydesk.core.errors import ApplicationError
from policydesk.core.views import ObjectCardView, ObjectListView, flash_application_error

from .filtersets import ArticleFilterSet
from .forms import ArticleForm, WorkingScheduleForm
from .models import Article, ServiceRequest, WorkingSchedule
from .services_articles import article_archive, article_create, article_update
from .tables import ArticleTable
from .views_requests import require


class ArticleListView(ObjectListView):
    model = Article
    filterset_class = ArticleFilterSet
    table_class = ArticleTable
    template_name = "service/article_list.html"

    def get_queryset(self):
        return super().get_queryset().filter(archived_at__isnull=True).select_related("category", "author")

    def get_extra_context(self, request):
        return {"add_url": reverse("service:article_add") if request.user.has_perm("service.add_article") else ""}


class ArticleCardView(ObjectCardView):
    model = Article
    template_name = "service/article_card.html"

    def get_queryset(self):
        return Article.objects.select_related("category", "author")

    def get_extra_context(self, request, obj):
        return {"article": obj, "can_change": request.user.has_perm("service.change_article")
                and obj.archived_at is None}


def article_overview_context(request, article) -> dict:
    answered = (ServiceRequest.objects.visible_to(request.user).filter(article_links__article=article)
                .select_related("client").order_by("-received_at", "-pk"))
    return {"products": list(article.products.select_related("insurer").order_by("name")),
            "answered": list(answered[:20]), "answered_count": answered.count()}


def _values(form) -> dict:
    data = dict(form.cleaned_data)
    data["products"] = list(data.pop("products", []))
    return data


@login_required
def article_add(request):
    require(request, "service.add_article")
    form = ArticleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            article = article_create(actor=request.user, **_values(form))
        except ApplicationError as exc:
            flash_application_error(request, form, exc)
        else:
            messages.success(request, _("The article is saved."))
            return redirect(article.get_absolute_url())
    return render(request, "service/article_form.html", {"form": form})


@login_required
def article_edit(request, pk):
    article = get_object_or_404(Article.objects.filter(archived_at__isnull=True), pk=pk)
    require(request, "service.change_article")
    form = ArticleForm(request.POST or None, instance=article)
    if request.method == "POST" and form.is_valid():
        try:
            article_update(actor=request.user, article=Article.objects.get(pk=pk), **_values(form))
        except ApplicationError as exc:
            flash_application_error(request, form, exc)
        else:
            messages.success(request, _("The article is saved."))
            return redirect(article.get_absolute_url())
    return render(request, "service/article_form.html", {"form": form, "article": article})


@login_required
@require_POST
def article_archive_view(request, pk):
    article = get_object_or_404(Article, pk=pk)
    require(request, "service.change_article")
    article_archive(actor=request.user, article=article)
    messages.success(request, _("The article is archived."))
    return redirect(reverse("service:article_list"))


@login_required
def working_schedule_edit(request):
    """The agency's working hours and weekdays (the holidays are their own list)."""
    require(request, "service.change_workingschedule")
    schedule = WorkingSchedule.current()
    form = WorkingScheduleForm(request.POST or None, instance=schedule)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The working hours are saved."))
        return redirect(reverse("service:working_hours"))
    return render(request, "service/working_hours.html", {"form": form})
