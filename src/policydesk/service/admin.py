from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Article, RequestStep, ServiceRequest


class StepInline(admin.TabularInline):
    model = RequestStep
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "at", "actor", "from_user", "to_user", "note", "interaction"]


@admin.register(ServiceRequest)
class ServiceRequestAdmin(SimpleHistoryAdmin):
    list_display = ["pk", "kind", "subject", "client", "status", "assignee", "due_at"]
    list_filter = ["kind", "status", "priority"]
    raw_id_fields = ["client", "policy", "assignee", "registered_by", "escalated_to"]
    inlines = [StepInline]

    def has_delete_permission(self, request, obj=None):
        return False  # requests are never deleted


@admin.register(Article)
class ArticleAdmin(SimpleHistoryAdmin):
    list_display = ["title", "kind", "language", "is_current", "updated_at"]
    list_filter = ["kind", "language", "is_current"]
