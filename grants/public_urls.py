from django.urls import path

from . import views

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
]
