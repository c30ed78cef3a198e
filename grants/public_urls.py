from django.urls import path

from . import views

app_name = "grants"

urlpatterns = [
    path("", views.home, name="home"),
    path("agreements/", views.AgreementListView.as_view(), name="agreement-list"),
    path(
        "agreements/<str:code>/",
        views.AgreementDetailView.as_view(),
        name="agreement-detail",
    ),
    path("amendments/", views.AmendmentListView.as_view(), name="amendment-list"),
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
    path("reports/", views.ReportsView.as_view(), name="reports"),
]
