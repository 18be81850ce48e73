from django.urls import path

from common.api.routers import Router

from .views import (
    MembershipViewSet,
    MeView,
    MyApiTokenViewSet,
    MyCalendarLinkViewSet,
    MySshKeyViewSet,
    UserViewSet,
    rotate_calendar_token,
)

router = Router()
router.register("users/me/ssh-keys", MySshKeyViewSet, basename="my-ssh-key")
router.register("users/me/tokens", MyApiTokenViewSet, basename="my-api-token")
router.register("users/me/calendar-links", MyCalendarLinkViewSet, basename="my-calendar-link")
router.register("users", UserViewSet, basename="user")
router.register("memberships", MembershipViewSet, basename="membership")

urlpatterns = [
    path("users/me/", MeView.as_view(), name="me"),
    path("users/me/calendar-token/rotate/", rotate_calendar_token, name="me-calendar-token-rotate"),
    *router.urls,
]
