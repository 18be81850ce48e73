from django.urls import path

from . import views, views_approvals, views_ical, views_leases, views_schedule, views_use, views_waitlist

urlpatterns = [
    path("calendar/", views.calendar_home, name="calendar"),
    path("calendar/<slug:slug>/", views.site_calendar, name="site-calendar"),
    path("calendar/<slug:slug>/timeline/", views.timeline, name="timeline"),
    path("calendar/<slug:slug>/schedule/", views_schedule.schedule, name="schedule"),
    path("resources/<int:pk>/calendar/", views.resource_calendar, name="resource-calendar"),
    path("reservations/mine/", views.my_bookings, name="my-bookings"),
    path("approvals/", views_approvals.queue, name="approvals"),
    path("waitlist/join/", views_waitlist.join, name="waitlist-join"),
    path("waitlist/<int:pk>/leave/", views_waitlist.leave, name="waitlist-leave"),
    path("leases/new/", views_leases.lease_new, name="lease-new"),
    path("leases/<int:pk>/", views_leases.lease_detail, name="lease-detail"),
    path("leases/<int:pk>/cancel/", views_leases.lease_cancel, name="lease-cancel"),
    path("reservations/new/", views.reservation_new, name="reservation-new"),
    path("reservations/<int:pk>/", views.reservation_detail, name="reservation-detail"),
    path("reservations/<int:pk>/cancel/", views.reservation_cancel, name="reservation-cancel"),
    path("reservations/<int:pk>/use/", views_use.use, name="reservation-use"),
    path("ical/feed.ics", views_ical.feed, name="ical-feed"),
    # Links made before per-feed links; they work until their owner revokes them.
    path("ical/mine/<str:token>.ics", views_ical.legacy_my_feed, name="ical-mine"),
    path("ical/resources/<int:pk>/<str:token>.ics", views_ical.legacy_resource_feed, name="ical-resource"),
]
