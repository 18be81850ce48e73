from django.urls import path

from common.api.routers import Router

from .blackouts import BlackoutViewSet
from .leases import LeaseViewSet
from .quotas import my_quotas
from .views import ReservationViewSet, first_free_slot, resource_availability
from .waitlist import WaitlistViewSet

router = Router()
router.register("reservations", ReservationViewSet, basename="reservation")
router.register("blackouts", BlackoutViewSet, basename="blackout")
router.register("waitlist", WaitlistViewSet, basename="waitlist")
router.register("leases", LeaseViewSet, basename="lease")

urlpatterns = [
    path("resources/<id:pk>/availability/", resource_availability, name="resource-availability"),
    path("availability/first-free/", first_free_slot, name="first-free-slot"),
    path("quotas/mine/", my_quotas, name="my-quotas"),
    *router.urls,
]
