from django.urls import path

from . import views

urlpatterns = [
    path("reports/utilization/", views.utilization, name="utilization"),
]
