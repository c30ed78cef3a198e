"""The Jobs pages, under /admin/jobs/ (included from grants/project/urls.py before admin/)."""

from django.urls import path

from . import views

app_name = "jobs"

urlpatterns = [
    path("", views.jobs_list, name="list"),
    path("status.json", views.jobs_status, name="status"),
    path("<int:pk>/", views.job_detail, name="detail"),
]
