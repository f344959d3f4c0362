from django.urls import path

from . import views

urlpatterns: list = [
    path("policies/", views.PolicyListView.as_view(), name="policy_list"),
    path("policies/new/", views.policy_add, name="policy_add"),
    path("policies/expiring/", views.policies_expiring, name="policy_expiring"),
    path("policies/<int:pk>/", views.PolicyCardView.as_view(), name="policy"),
    path("policies/<int:pk>/tab/<slug:tab>/", views.PolicyCardView.as_view(), name="policy_tab"),
    path("policies/<int:pk>/edit/", views.policy_edit, name="policy_edit"),
    path("policies/<int:pk>/issue/", views.policy_issue_view, name="policy_issue"),
    path("policies/<int:pk>/renew/", views.policy_renew_view, name="policy_renew"),
    path("policies/<int:pk>/cancel/", views.policy_cancel_view, name="policy_cancel"),
]
