from django.contrib import admin

from .models import ClaimSettings, RequiredDocument


@admin.register(RequiredDocument)
class RequiredDocumentAdmin(admin.ModelAdmin):
    list_display = ["line", "name", "weight", "is_active"]
    list_filter = ["line", "is_active"]


@admin.register(ClaimSettings)
class ClaimSettingsAdmin(admin.ModelAdmin):
    list_display = ["loss_ratio_threshold", "threshold_basis", "frequent_claims", "documents_overdue_days"]
