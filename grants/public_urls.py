from django.urls import path

from . import views, views_reports

app_name = "grants"

urlpatterns = [
    path("", views.home, name="home"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
    path("language/<str:language>/", views.switch_language, name="switch-language"),
    path(
        "agreements/<str:code>/",
        views.AgreementDetailView.as_view(),
        name="agreement-detail",
    ),
    path("reports/", views_reports.report_catalogue, name="reports"),
    path("reports/<slug:name>.csv", views_reports.report_csv, name="report-csv"),
]
