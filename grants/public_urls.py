from django.urls import path

from . import views, views_reports

app_name = "grants"

urlpatterns = [
    path("", views.home, name="home"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
    path("language/<str:language>/", views.switch_language, name="switch-language"),
    path("agreements/", views.AgreementListView.as_view(), name="agreement-list"),
    path(
        "agreements/<str:code>/",
        views.AgreementDetailView.as_view(),
        name="agreement-detail",
    ),
    path("amendments/", views.AmendmentListView.as_view(), name="amendment-list"),
    path(
        "disbursements/",
        views.DisbursementListView.as_view(),
        name="disbursement-list",
    ),
    path(
        "program-areas/",
        views.ProgramAreaListView.as_view(),
        name="programarea-list",
    ),
    path(
        "program-areas/<slug:code>/",
        views.ProgramAreaDetailView.as_view(),
        name="programarea-detail",
    ),
    path("reports/", views_reports.report_catalogue, name="reports"),
    path("reports/<slug:name>.csv", views_reports.report_csv, name="report-csv"),
]
