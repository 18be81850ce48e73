from django.urls import path

from .oidc import backchannel
from .oidc import views as oidc_views
from .views import calendar_links, people

urlpatterns = [
    path("accounts/login/", people.LoginView.as_view(), name="login"),
    path("accounts/logout/", oidc_views.LogoutView.as_view(), name="logout"),
    path("oidc/authenticate/", oidc_views.LoginView.as_view(), name="oidc_authentication_init"),
    path("oidc/backchannel-logout/", backchannel.backchannel_logout, name="oidc_backchannel_logout"),
    path("oidc/callback/", oidc_views.CallbackView.as_view(), name="oidc_authentication_callback"),
    path("profile/", people.profile, name="profile"),
    path("profile/ssh-keys/<int:pk>/delete/", people.ssh_key_delete, name="ssh-key-delete"),
    path("profile/tokens/<int:pk>/revoke/", people.api_token_revoke, name="api-token-revoke"),
    path("profile/calendar-links/new/", calendar_links.calendar_link_new, name="calendar-link-new"),
    path("profile/calendar-links/reset/", calendar_links.calendar_links_reset, name="calendar-links-reset"),
    path("profile/calendar-links/<int:pk>/revoke/", calendar_links.calendar_link_revoke, name="calendar-link-revoke"),
    path("users/", people.user_list, name="people"),
    path("users/<int:pk>/", people.user_detail, name="person"),
]
