from django.urls import path

from . import views

urlpatterns = [
    path("registry/", views.registry, name="registry"),
    path("registry/<int:pk>/history/", views.allocation_history, name="allocation-history"),
    path("registry/<int:pk>/edit/", views.allocation_edit, name="allocation-edit"),
    path("registry/<int:pk>/release/", views.allocation_release, name="allocation-release"),
]
