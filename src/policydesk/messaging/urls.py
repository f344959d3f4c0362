from django.urls import path

from policydesk.core.views import save_columns_view

from . import views, views_mailings

app_name = "messaging"
urlpatterns = [
    path("outbox/", views.OutboxView.as_view(), name="outbox"),
    path("columns/", save_columns_view("policydesk.messaging.", "messaging:outbox"), name="columns"),
    path("failed/", views.FailedView.as_view(), name="failed"),
    path("failed/retry/", views.failed_retry_all, name="failed_retry"),
    path("messages/<int:pk>/", views.MessageCardView.as_view(), name="message"),
    path("messages/<int:pk>/cancel/", views.message_cancel_view, name="message_cancel"),
    path("messages/<int:pk>/retry/", views.message_retry_view, name="message_retry"),
    path("templates/", views.TemplateListView.as_view(), name="template_list"),
    path("templates/add/", views.template_add, name="template_add"),
    path("templates/preview/", views.template_preview, name="template_preview"),
    path("templates/placeholders/", views.template_placeholders, name="template_placeholders"),
    path("templates/<int:pk>/", views.TemplateCardView.as_view(), name="template"),
    path("templates/<int:pk>/edit/", views.template_edit, name="template_edit"),
    path("templates/<int:pk>/archive/", views.template_archive, name="template_archive"),
    path("automatic/", views.RuleListView.as_view(), name="rule_list"),
    path("automatic/add/", views.rule_add, name="rule_add"),
    path("automatic/<int:pk>/", views.RuleCardView.as_view(), name="rule"),
    path("automatic/<int:pk>/edit/", views.rule_edit, name="rule_edit"),
    path("automatic/<int:pk>/archive/", views.rule_archive_view, name="rule_archive"),
    path("mailings/", views_mailings.MailingListView.as_view(), name="mailing_list"),
    path("mailings/add/", views_mailings.mailing_add, name="mailing_add"),
    path("mailings/<int:pk>/", views_mailings.MailingCardView.as_view(), name="mailing"),
    path("mailings/<int:pk>/edit/", views_mailings.mailing_edit, name="mailing_edit"),
    path("mailings/<int:pk>/check/", views_mailings.mailing_check_view, name="mailing_check"),
    path("mailings/<int:pk>/progress/", views_mailings.mailing_progress_view, name="mailing_progress"),
    path("mailings/<int:pk>/start/", views_mailings.mailing_start_view, name="mailing_start"),
    path("mailings/<int:pk>/pause/", views_mailings.mailing_pause_view, name="mailing_pause"),
    path("mailings/<int:pk>/resume/", views_mailings.mailing_resume_view, name="mailing_resume"),
    path("mailings/<int:pk>/cancel/", views_mailings.mailing_cancel_view, name="mailing_cancel"),
    path("mailings/<int:pk>/test/", views_mailings.mailing_test_view, name="mailing_test"),
    path("clients/<int:pk>/send/", views.send_to_client, name="send"),
    path("clients/<int:pk>/letter/", views.letter_to_client, name="letter"),
    path("clients/<int:pk>/opt-out/", views.client_opt_out, name="opt_out"),
    path("sms-count/", views.sms_count, name="sms_count"),
    path("settings/", views.settings_page, name="settings"),
]
