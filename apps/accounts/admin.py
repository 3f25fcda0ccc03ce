from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import LoginLog, Menu, Organization, Role, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + (("数银", {"fields": ("real_name", "mobile", "organization", "roles", "superior")}),)
    list_display = ["username", "real_name", "organization", "is_active"]
    filter_horizontal = ["roles", "groups", "user_permissions"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "parent", "is_active"]
    readonly_fields = ["path", "depth"]


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "organization", "area", "data_scope", "is_active"]
    filter_horizontal = ["permissions"]


admin.site.register(Menu)
admin.site.register(LoginLog)
