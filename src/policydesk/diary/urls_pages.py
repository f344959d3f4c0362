"""URLs of the diary's pages: My diary, the team's control list, interactions, tasks, cases,
attachments and the case types (settings)."""

from django.urls import path

from policydesk.core.crud import settings_urls

from . import views_attachments, views_cases, views_common, views_interactions, views_tasks
from .forms import CaseTypeForm
from .models import CaseType

urlpatterns: list = [
    path("", views_tasks.diary_home, name="home"),
    path("team/", views_tasks.team_control, name="team"),
    path("columns/", views_common.save_columns, name="columns"),
    path("interactions/", views_interactions.InteractionListView.as_view(), name="interaction_list"),
    path("interactions/add/", views_interactions.interaction_add, name="interaction_add"),
    path("interactions/<int:pk>/", views_interactions.InteractionCardView.as_view(), name="interaction"),
    path("interactions/<int:pk>/edit/", views_interactions.interaction_edit, name="interaction_edit"),
    path("interactions/<int:pk>/archive/", views_interactions.interaction_archive_view, name="interaction_archive"),
    path("interactions/<int:pk>/restore/", views_interactions.interaction_restore_view, name="interaction_restore"),
    path("tasks/", views_tasks.TaskListView.as_view(), name="task_list"),
    path("tasks/add/", views_tasks.task_add, name="task_add"),
    path("tasks/bulk/", views_tasks.bulk_action, name="bulk"),
    path("tasks/<int:pk>/", views_tasks.TaskCardView.as_view(), name="task"),
    path("tasks/<int:pk>/edit/", views_tasks.task_edit, name="task_edit"),
    path("tasks/<int:pk>/complete/", views_tasks.task_complete_view, name="task_complete"),
    path("tasks/<int:pk>/cancel/", views_tasks.task_cancel_view, name="task_cancel"),
    path("tasks/<int:pk>/delegate/", views_tasks.task_delegate_view, name="task_delegate"),
    path("cases/", views_cases.CaseListView.as_view(), name="case_list"),
    path("cases/add/", views_cases.case_add, name="case_add"),
    path("cases/<int:pk>/", views_cases.CaseCardView.as_view(), name="case"),
    path("cases/<int:pk>/edit/", views_cases.case_edit, name="case_edit"),
    path("cases/<int:pk>/status/", views_cases.case_status_view, name="case_status"),
    path("attachments/add/", views_attachments.attachment_add_view, name="attachment_add"),
    path("attachments/<int:pk>/", views_attachments.attachment_download, name="attachment_download"),
    path("attachments/<int:pk>/archive/", views_attachments.attachment_archive_view, name="attachment_archive"),
    *settings_urls("casetype", CaseType, CaseTypeForm, ["name", "code", "is_active"]),
]
