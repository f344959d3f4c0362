from django.urls import path

from policydesk.core.crud import settings_urls

from . import views, views_admin
from .forms import BonusMalusClassForm, BonusMalusTransitionForm
from .models import BonusMalusClass, BonusMalusTransition

app_name = "tariffs"
urlpatterns = [
    path("", views_admin.tariff_list, name="list"),
    path("add/", views_admin.tariff_add, name="add"),
    path("quote/", views.quote_view, name="quote"),
    path("<int:pk>/", views_admin.tariff_card, name="tariff"),
    path("<int:pk>/edit/", views_admin.tariff_edit, name="edit"),
    path("<int:pk>/preset/", views_admin.tariff_preset, name="preset"),
    path("<int:tariff_pk>/base-rates/add/", views_admin.baserate_edit, name="baserate_add"),
    path("base-rates/<int:pk>/", views_admin.baserate_edit, name="baserate_edit"),
    path("base-rates/<int:pk>/delete/", views_admin.baserate_delete, name="baserate_delete"),
    path("<int:tariff_pk>/tables/add/", views_admin.table_edit, name="table_add"),
    path("tables/<int:pk>/", views_admin.table_card, name="table"),
    path("tables/<int:pk>/edit/", views_admin.table_edit, name="table_edit"),
    path("tables/<int:pk>/delete/", views_admin.table_delete, name="table_delete"),
    path("tables/<int:table_pk>/rows/add/", views_admin.row_edit, name="row_add"),
    path("rows/<int:pk>/", views_admin.row_edit, name="row_edit"),
    path("rows/<int:pk>/delete/", views_admin.row_delete, name="row_delete"),
    *settings_urls("bonusmalusclass", BonusMalusClass, BonusMalusClassForm, ["system", "code", "order", "coefficient"]),
    *settings_urls("bonusmalustransition", BonusMalusTransition, BonusMalusTransitionForm,
                   ["from_class", "claims", "to_class"],
                   queryset=lambda request: BonusMalusTransition.objects.select_related("from_class", "to_class")),
]
