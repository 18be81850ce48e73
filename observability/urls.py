from django.urls import path

from . import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("api/dashboard/status/", views.status_api, name="dashboard-status"),
]
