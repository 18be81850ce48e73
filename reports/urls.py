from django.urls import path

from . import views

urlpatterns = [
    path("reports/utilization/", views.utilization, name="utilization"),
    path("reports/fair-use/", views.fair_use, name="fair-use"),
]
