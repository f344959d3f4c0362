from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("renewals/", views.renewals, name="renewals"),
    path("renewals/group/", views.renewal_group, name="renewal_group"),
    path("renewals/pdf/", views.renewals_pdf, name="renewals_pdf"),
    path("renewals/xlsx/", views.renewals_xlsx, name="renewals_xlsx"),
]
