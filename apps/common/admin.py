from django.contrib import admin

from .models import Heartbeat, OperationLog


@admin.register(OperationLog)
class OperationLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "username", "method", "path", "status_code", "ip"]
    search_fields = ["username", "path"]
    list_filter = ["method", "area"]


admin.site.register(Heartbeat)
