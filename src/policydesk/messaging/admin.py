from django.contrib import admin

from .models import IncomingSms, Message, MessageTemplate, OptOut, TemplateText


class TemplateTextInline(admin.TabularInline):
    model = TemplateText
    extra = 0


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "channel", "event", "is_active", "archived_at")
    list_filter = ("channel", "event", "is_active")
    inlines = [TemplateTextInline]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("pk", "channel", "status", "recipient", "created_at", "sent_at")
    list_filter = ("channel", "status", "purpose")
    search_fields = ("recipient", "subject", "key", "provider_ref")
    raw_id_fields = ("client", "user", "policy", "claim", "request", "task", "template")


admin.site.register(IncomingSms)
admin.site.register(OptOut)
