from django.urls import path

from policydesk.core.crud import settings_urls

from . import views, views_reports
from .forms import RequiredDocumentForm
from .models import RequiredDocument

app_name = "claims"
urlpatterns: list = [
    path("", views.ClaimListView.as_view(), name="list"),
    path("control/", views_reports.control_list, name="control"),
    path("loss-ratio/", views_reports.loss_ratio_report, name="loss_ratio"),
    path("settings/", views_reports.claim_settings, name="settings"),
    path("columns/", views.save_columns, name="columns"),
    path("add/", views.claim_add, name="add"),
    path("<int:pk>/", views.ClaimCardView.as_view(), name="claim"),
    path("<int:pk>/edit/", views.claim_edit, name="edit"),
    path("<int:pk>/status/", views.claim_status, name="status"),
    path("<int:pk>/approve/", views.claim_approve_view, name="approve"),
    path("<int:pk>/refuse/", views.claim_refuse_view, name="refuse"),
    path("<int:pk>/payouts/add/", views.payout_add, name="payout_add"),
    path("<int:pk>/documents/add/", views.document_add, name="document_add"),
    path("documents/<int:pk>/mark/", views.document_mark, name="document_mark"),
    *settings_urls("requireddocument", RequiredDocument, RequiredDocumentForm, ["line", "name", "weight", "is_active"]),
]
