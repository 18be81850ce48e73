from django.urls import path

from . import views

urlpatterns = [
    path("reports/utilization/", views.utilization, name="utilization-api"),
    path("reports/utilization/export/", views.utilization_export, name="utilization-export"),
    path("reports/fair-use/", views.fair_use, name="fair-use-api"),
]
