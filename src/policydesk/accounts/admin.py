from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import Department, RoleProfile, User


@admin.register(User)
class UserAdmin(BaseUserAdmin, SimpleHistoryAdmin):
    list_display = ["username", "first_name", "last_name", "department", "head", "level", "is_active"]
    list_filter = ["department", "level", "groups", "is_active"]
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("Organisation"), {"fields": ["department", "head", "level", "phone_extension"]}),
        (_("Preferences"), {"fields": ["language", "calendar", "persian_digits"]}),
    )


@admin.register(Department)
class DepartmentAdmin(SimpleHistoryAdmin):
    list_display = ["name", "parent"]


@admin.register(RoleProfile)
class RoleProfileAdmin(admin.ModelAdmin):
    list_display = ["group", "code", "scope"]
