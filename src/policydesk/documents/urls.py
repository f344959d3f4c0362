from django.urls import path

from . import views

app_name = "documents"
urlpatterns = [
    path("policies/<int:pk>/application/", views.policy_application, name="policy_application"),
    path("templates/", views.template_list, name="template_list"),
    path("templates/add/", views.template_add, name="template_add"),
    path("templates/preview/", views.template_preview, name="template_preview"),
    path("templates/<int:pk>/", views.template_edit, name="template_edit"),
    path("templates/<int:pk>/reset/", views.template_reset, name="template_reset"),
]
