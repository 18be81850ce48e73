from django.urls import path

from .views import approvals, bookings, catalogue, ical, leases, schedule, use, waitlist

urlpatterns = [
    path("", catalogue.catalogue, name="home"),
    path("calendar/", bookings.calendar_home, name="calendar"),
    path("calendar/<slug:slug>/", bookings.site_calendar, name="site-calendar"),
    path("calendar/<slug:slug>/timeline/", bookings.timeline, name="timeline"),
    path("calendar/<slug:slug>/schedule/", schedule.schedule, name="schedule"),
    path("resources/<int:pk>/calendar/", bookings.resource_calendar, name="resource-calendar"),
    path("reservations/mine/", bookings.my_bookings, name="my-bookings"),
    path("approvals/", approvals.queue, name="approvals"),
    path("waitlist/join/", waitlist.join, name="waitlist-join"),
    path("waitlist/<int:pk>/leave/", waitlist.leave, name="waitlist-leave"),
    path("leases/new/", leases.lease_new, name="lease-new"),
    path("leases/<int:pk>/", leases.lease_detail, name="lease-detail"),
    path("leases/<int:pk>/cancel/", leases.lease_cancel, name="lease-cancel"),
    path("reservations/new/", bookings.reservation_new, name="reservation-new"),
    path("reservations/<int:pk>/", bookings.reservation_detail, name="reservation-detail"),
    path("reservations/<int:pk>/cancel/", bookings.reservation_cancel, name="reservation-cancel"),
    path("reservations/<int:pk>/use/", use.use, name="reservation-use"),
    path("ical/feed.ics", ical.feed, name="ical-feed"),
    # Links made before per-feed links; they work until their owner revokes them.
    path("ical/mine/<str:token>.ics", ical.legacy_my_feed, name="ical-mine"),
    path("ical/resources/<int:pk>/<str:token>.ics", ical.legacy_resource_feed, name="ical-resource"),
]
