"""URLs of service requests (/service/), the knowledge base (/service/kb/), the report and the settings."""

from django.urls import path

from policydesk.core.crud import settings_urls

from . import views_articles, views_requests
from .forms import ArticleCategoryForm, ComplaintCategoryForm, HolidayForm, ReplyTemplateForm, SlaRuleForm
from .models import ArticleCategory, ComplaintCategory, Holiday, ReplyTemplate, SlaRule

app_name = "service"
urlpatterns = [
    path("", views_requests.RequestListView.as_view(), name="request_list"),
    path("control/", views_requests.ControlListView.as_view(), name="control"),
    path("columns/", views_requests.save_columns, name="columns"),
    path("requests/add/", views_requests.request_add, name="request_add"),
    path("requests/<int:pk>/", views_requests.RequestCardView.as_view(), name="request"),
    *[path(f"requests/<int:pk>/{step}/", views_requests.step_view(step), name=f"request_{step}")
      for step in views_requests.STEPS],
    path("requests/<int:pk>/articles/", views_requests.request_link_article_view, name="request_link_article"),
    path("report/", views_requests.satisfaction_report_view, name="report"),
    path("kb/", views_articles.ArticleListView.as_view(), name="article_list"),
    path("kb/add/", views_articles.article_add, name="article_add"),
    path("kb/<int:pk>/", views_articles.ArticleCardView.as_view(), name="article"),
    path("kb/<int:pk>/edit/", views_articles.article_edit, name="article_edit"),
    path("kb/<int:pk>/archive/", views_articles.article_archive_view, name="article_archive"),
    path("settings/working-hours/", views_articles.working_schedule_edit, name="working_hours"),
    *settings_urls("slarule", SlaRule, SlaRuleForm, ["kind", "priority", "response_hours", "resolution_days"]),
    *settings_urls("holiday", Holiday, HolidayForm, ["date", "name"]),
    *settings_urls("complaintcategory", ComplaintCategory, ComplaintCategoryForm, ["name", "is_active"]),
    *settings_urls("articlecategory", ArticleCategory, ArticleCategoryForm, ["name"]),
    *settings_urls("replytemplate", ReplyTemplate, ReplyTemplateForm, ["channel", "language", "subject", "is_active"]),
]
