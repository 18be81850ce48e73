from django.urls import path

from . import views, views_calendar
from .oidc import backchannel
from .oidc import views as oidc_views

urlpatterns = [
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", oidc_views.LogoutView.as_view(), name="logout"),
    path("oidc/authenticate/", oidc_views.LoginView.as_view(), name="oidc_authentication_init"),
    path("oidc/backchannel-logout/", backchannel.backchannel_logout, name="oidc_backchannel_logout"),
    path("oidc/callback/", oidc_views.CallbackView.as_view(), name="oidc_authentication_callback"),
    path("profile/", views.profile, name="profile"),
    path("profile/ssh-keys/<int:pk>/delete/", views.ssh_key_delete, name="ssh-key-delete"),
    path("profile/tokens/<int:pk>/revoke/", views.api_token_revoke, name="api-token-revoke"),
    path("profile/calendar-links/new/", views_calendar.calendar_link_new, name="calendar-link-new"),
    path("profile/calendar-links/reset/", views_calendar.calendar_links_reset, name="calendar-links-reset"),
    path("profile/calendar-links/<int:pk>/revoke/", views_calendar.calendar_link_revoke, name="calendar-link-revoke"),
    path("users/", views.user_list, name="people"),
    path("users/<int:pk>/", views.user_detail, name="person"),
]
