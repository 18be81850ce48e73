from django.urls import path

from . import views

urlpatterns = [
    path("webhooks/", views.webhook_list, name="webhook-list"),
    path("webhooks/deliveries/", views.delivery_log, name="webhook-deliveries"),
    path("webhooks/deliveries/<int:pk>/resend/", views.delivery_resend, name="webhook-delivery-resend"),
    path("webhooks/<int:pk>/", views.webhook_detail, name="webhook-detail"),
]
