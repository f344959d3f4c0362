from django.urls import path

from policydesk.core.crud import settings_urls

from . import views
from .forms import FormTypeForm
from .models import FormType

app_name = "blanks"
urlpatterns = [
    path("", views.FormListView.as_view(), name="list"),
    path("columns/", views.save_columns, name="columns"),
    path("receive/", views.receive_view, name="receive"),
    path("issue/", views.issue_view, name="issue"),
    path("return/", views.return_view, name="return"),
    path("batches/", views.batch_list, name="batches"),
    path("report/", views.report_view, name="report"),
    path("<int:pk>/", views.form_card, name="form"),
    path("<int:pk>/write-off/", views.write_off_view, name="write_off"),
    path("policies/<int:pk>/take/", views.policy_take_view, name="policy_take"),
    *settings_urls("formtype", FormType, FormTypeForm, ["name", "insurer", "line", "series_format", "number_digits"],
                   queryset=lambda request: FormType.objects.select_related("insurer", "line")),
]
