from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import AttachmentRules, Call, CallEvent, Case, CaseType, Interaction, Task


@admin.register(CaseType)
class CaseTypeAdmin(admin.ModelAdmin):
    list_display = ["__str__", "code", "is_active"]
    list_filter = ["is_active"]


@admin.register(AttachmentRules)
class AttachmentRulesAdmin(admin.ModelAdmin):
    list_display = ["__str__", "max_size_mb", "allowed_extensions"]

    def has_add_permission(self, request):
        return not AttachmentRules.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Interaction)
class InteractionAdmin(SimpleHistoryAdmin):
    list_display = ["subject", "kind", "happened_at", "user", "client"]
    list_filter = ["kind"]
    raw_id_fields = ["client", "policy", "payment", "case", "task", "user"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Task)
class TaskAdmin(SimpleHistoryAdmin):
    list_display = ["title", "kind", "due_at", "assignee", "status"]
    list_filter = ["kind", "status", "priority"]
    raw_id_fields = ["client", "policy", "payment", "case", "assignee", "created_by", "completed_by",
                     "series_start", "previous"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(SimpleHistoryAdmin):
    list_display = ["title", "case_type", "follow_up", "status"]
    raw_id_fields = ["client", "policy", "follow_up", "created_by"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ["call_id", "caller_number", "extension", "state", "user", "client", "created_at"]
    list_filter = ["state"]
    raw_id_fields = ["client", "user", "interaction", "task"]


@admin.register(CallEvent)
class CallEventAdmin(admin.ModelAdmin):
    list_display = ["external_id", "event", "received_at", "note"]
