from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import ReservationViewSet, first_free_slot, resource_availability

router = SimpleRouter()
router.register("reservations", ReservationViewSet, basename="reservation")

urlpatterns = [
    path("resources/<int:pk>/availability/", resource_availability, name="resource-availability"),
    path("availability/first-free/", first_free_slot, name="first-free-slot"),
    *router.urls,
]
