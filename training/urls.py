from django.urls import path

from . import views

urlpatterns = [
    path("training/", views.mine, name="training"),
    path("training/queue/", views.queue, name="training-queue"),
    path("training/qualifications/<int:pk>/revoke/", views.revoke, name="qualification-revoke"),
]
