from django.contrib import admin

from .models import Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level"]
    search_fields = ["code", "name"]
    list_filter = ["level"]
