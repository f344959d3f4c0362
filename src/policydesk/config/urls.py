from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog, set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from policydesk.core import pages
from policydesk.messaging.api import WebhookView

urlpatterns = [
    path("", pages.dashboard, name="dashboard"),
    path("mode/<slug:slug>/", pages.mode_page, name="mode"),
    path("accounts/", include("policydesk.accounts.urls")),
    path("clients/", include("policydesk.clients.urls")),
    path("insurance/", include("policydesk.insurance.urls")),
    path("tariffs/", include("policydesk.tariffs.urls")),
    path("billing/", include("policydesk.billing.urls")),
    path("blanks/", include("policydesk.blanks.urls")),
    path("documents/", include("policydesk.documents.urls")),
    path("reports/", include("policydesk.reports.urls")),
    path("diary/", include("policydesk.diary.urls")),
    path("claims/", include("policydesk.claims.urls")),
    path("service/", include("policydesk.service.urls")),
    path("messaging/", include("policydesk.messaging.urls")),
    path("api/messaging/webhooks/<str:secret>/<str:kind>/", WebhookView.as_view(), name="messaging-webhook"),
    path("api/", include("policydesk.config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="jsi18n"),
    path("i18n/setlang/", set_language, name="set_language_anonymous"),
]
