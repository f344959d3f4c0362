"""URLs of the catalogue (insurers, lines of business, products) and of insured objects."""

from django.urls import path

from . import views_catalogue as views


def _catalogue(prefix: str, segment: str, views_: dict) -> list:
    return [
        path(f"{segment}/", views_["list"], name=f"{prefix}_list"),
        path(f"{segment}/add/", views_["edit"], name=f"{prefix}_add"),
        path(f"{segment}/<int:pk>/", views_["edit"], name=f"{prefix}_edit"),
        path(f"{segment}/<int:pk>/archive/", views_["archive"], name=f"{prefix}_archive"),
        path(f"{segment}/<int:pk>/delete/", views_["delete"], name=f"{prefix}_delete"),
    ]


urlpatterns = [
    *_catalogue("insurer", "insurers", views.INSURER_VIEWS),
    *_catalogue("line", "lines", views.LINE_VIEWS),
    *_catalogue("product", "products", views.PRODUCT_VIEWS),
    path("objects/", views.InsuredObjectListView.as_view(), name="object_list"),
    path("objects/add/", views.object_add, name="object_add"),
    path("objects/<int:pk>/", views.InsuredObjectCardView.as_view(), name="object"),
    path("objects/<int:pk>/edit/", views.object_edit, name="object_edit"),
    path("objects/<int:pk>/transfer/", views.object_transfer_view, name="object_transfer"),
    path("objects/<int:pk>/archive/", views.object_archive_view, name="object_archive"),
    # The column chooser of every list of the app (core/_object_table.html posts to <namespace>:columns).
    path("columns/", views.save_columns, name="columns"),
]
