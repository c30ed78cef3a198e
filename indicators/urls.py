from django.urls import path

from . import views

app_name = "indicators"

urlpatterns = [
    path("indicators/", views.IndicatorListView.as_view(), name="indicator-list"),
    path(
        "indicators/<slug:code>/",
        views.IndicatorDetailView.as_view(),
        name="indicator-detail",
    ),
    path("results/", views.ResultListView.as_view(), name="result-list"),
]
