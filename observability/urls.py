from django.urls import path

from . import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("explorer/", views.explorer, name="explorer"),
    path("api/dashboard/status/", views.status_api, name="dashboard-status"),
]
