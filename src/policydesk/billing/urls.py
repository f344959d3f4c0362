from django.urls import path

from . import views, views_lists

app_name = "billing"
urlpatterns = [
    path("payments/", views_lists.PaymentListView.as_view(), name="payment_list"),
    path("overdue/", views_lists.OverdueInstallmentListView.as_view(), name="overdue_list"),
    path("instruments/", views_lists.PaymentInstrumentListView.as_view(), name="instrument_list"),
    path("commission/", views_lists.CommissionReceiptListView.as_view(), name="commission_list"),
    path("commission/add/", views_lists.commission_add, name="commission_add"),
    path("commission/reconciliation/", views_lists.commission_reconciliation_view, name="reconciliation"),
    path("commission/<int:pk>/", views_lists.commission_receipt, name="commission_receipt"),
    path("columns/", views_lists.save_columns, name="columns"),
    path("policies/<int:pk>/", views.policy_money, name="policy_money"),
    path("policies/<int:pk>/schedule/", views.schedule_edit, name="schedule"),
    path("policies/<int:pk>/pay/", views.payment_add, name="payment_add"),
    path("policies/<int:pk>/apply-credit/", views.credit_apply_view, name="credit_apply"),
    path("payments/<int:pk>/reverse/", views.payment_reverse_view, name="payment_reverse"),
    path("payments/<int:pk>/receipt.pdf", views_lists.payment_receipt_pdf, name="payment_receipt"),
    path("instruments/<int:pk>/clear/", views.instrument_clear_view, name="instrument_clear"),
    path("instruments/<int:pk>/bounce/", views.instrument_bounce_view, name="instrument_bounce"),
]
