"""Jobs in the admin's index: the entry leads to the Jobs page."""

from django.contrib import admin
from django.shortcuts import redirect

from .models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        return redirect("jobs:list")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return redirect("jobs:detail", pk=object_id)
