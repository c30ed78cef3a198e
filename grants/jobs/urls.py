"""The Jobs pages, under /admin/jobs/ (included by grants/admin_urls.py)."""

from django.urls import path

from . import views

app_name = "jobs"

urlpatterns = [
    path("", views.jobs_list, name="list"),
    path("status.json", views.jobs_status, name="status"),
    path("<int:pk>/", views.job_detail, name="detail"),
]
