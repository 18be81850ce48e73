from django.urls import path

from common.api.routers import Router

from . import views

router = Router()
router.register("usage", views.BookingUsageViewSet, basename="usage")
router.register("usage-samples", views.UsageSampleViewSet, basename="usage-sample")
router.register("usage-policies", views.UsagePolicyViewSet, basename="usage-policy")
router.register("machine-tokens", views.MachineTokenViewSet, basename="machine-token")
urlpatterns = [
    path("agent/state/", views.agent_state, name="agent-state"),
    path("agent/usage/", views.agent_usage, name="agent-usage"),
    path("reservations/<int:pk>/usage/", views.reservation_usage, name="reservation-usage"),
    *router.urls,
]
