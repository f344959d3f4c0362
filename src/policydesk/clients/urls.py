from django.urls import path

from policydesk.core.crud import settings_urls

from . import views, views_actions, views_import
from .forms import ClientGroupForm, CustomFieldForm, RegistrationRuleForm, TagForm
from .models import ClientGroup, CustomField, RegistrationRule, Tag
from .selectors import groups_visible_to


def _save_group(request, form):
    group = form.save(commit=False)
    if group.kind == "personal" or not group.owner_id:
        group.owner = request.user
    if group.kind == "department" and not group.department_id:
        group.department = request.user.department
    group.save()
    return group


app_name = "clients"
urlpatterns = [
    path("", views.ClientListView.as_view(), name="list"),
    path("add/", views.client_add, name="add"),
    path("import/", views_import.import_view, name="import"),
    path("search/", views_actions.quick_search, name="search"),
    path("suggest/", views_actions.search_suggest, name="suggest"),
    path("bulk/", views_actions.bulk_action, name="bulk"),
    path("columns/", views_actions.save_columns, name="columns"),
    path("<int:pk>/", views.ClientCardView.as_view(), name="client"),
    path("<int:pk>/tab/<slug:tab>/", views.ClientCardView.as_view(), name="client_tab"),
    path("<int:pk>/edit/", views.client_edit, name="edit"),
    path("<int:pk>/archive/", views.client_archive_view, name="archive"),
    path("<int:pk>/merge/", views_actions.merge_view, name="merge"),
    path("<int:pk>/curator/", views_actions.curator_assign_view, name="curator"),
    path("<int:pk>/relationships/add/", views_actions.relationship_add_view, name="relationship_add"),
    path("<int:pk>/relationships/<int:rel_pk>/remove/", views_actions.relationship_remove_view, name="relationship_remove"),
    path("<int:pk>/contacts/add/", views_actions.contact_person_add_view, name="contact_person_add"),
    path("<int:pk>/contacts/<int:contact_pk>/remove/", views_actions.contact_person_remove_view, name="contact_person_remove"),
    *settings_urls("customfield", CustomField, CustomFieldForm, ["label", "name", "field_type", "required", "applies_to"]),
    *settings_urls("registrationrule", RegistrationRule, RegistrationRuleForm, ["kind", "field_name"]),
    *settings_urls("tag", Tag, TagForm, ["name", "color"]),
    *settings_urls("group", ClientGroup, ClientGroupForm, ["name", "kind"],
                   queryset=lambda request: groups_visible_to(request.user), save=_save_group),
]
