"""Keycloak claims -> Reservoir access, applied at every OIDC login.

- A realm role (realm_access.roles) or client role (resource_access.<client>.roles) named
  OIDC_ADMIN_ROLE makes a global administrator; without it, global administration is removed.
- Group `<OIDC_SITE_GROUP_PREFIX><site-slug>` (default /sites/<slug>) makes a member of that site,
  `<prefix><slug>/<OIDC_SITE_ADMIN_GROUP>` (default /sites/<slug>/admins) a site administrator.
  Memberships that came from Keycloak and are no longer in the claims are removed; memberships
  granted by hand in Reservoir are kept unless a group now decides that site.
"""

from django.conf import settings
from django.db import transaction

from accounts import services
from tenancy.models import Membership, MembershipSource, Role, Site


def roles(claims: dict) -> set[str]:
    found = set((claims.get("realm_access") or {}).get("roles") or [])
    client = (claims.get("resource_access") or {}).get(settings.OIDC_RP_CLIENT_ID) or {}
    found |= set(client.get("roles") or [])
    return found


def site_roles_from_groups(groups) -> dict[str, str]:
    """{site slug: role} from group paths; an admin group wins over plain membership."""
    prefix = "/" + settings.OIDC_SITE_GROUP_PREFIX.strip("/") + "/"
    result: dict[str, str] = {}
    for group in groups or []:
        if not isinstance(group, str):
            continue
        path = "/" + group.strip("/") + "/"
        if not path.startswith(prefix):
            continue
        parts = path[len(prefix) :].strip("/").split("/")
        if len(parts) == 1 and parts[0]:
            result.setdefault(parts[0], Role.MEMBER)
        elif len(parts) == 2 and parts[1] == settings.OIDC_SITE_ADMIN_GROUP:
            result[parts[0]] = Role.ADMIN
    return result


@transaction.atomic
def apply(user, claims: dict) -> None:
    services.user_set_global_admin(actor=None, user=user, is_admin=settings.OIDC_ADMIN_ROLE in roles(claims))
    wanted_slugs = site_roles_from_groups(claims.get("groups"))
    wanted = {site.pk: (site, wanted_slugs[site.slug]) for site in Site.objects.filter(slug__in=wanted_slugs)}
    for membership in Membership.objects.filter(user=user).select_related("site"):
        if membership.site_id not in wanted and membership.source == MembershipSource.OIDC:
            services.membership_remove(actor=None, membership=membership)
    for site, role in wanted.values():
        services.membership_set(actor=None, site=site, user=user, role=role, source=MembershipSource.OIDC)
    services.teams_set(user=user, names=teams_from_groups(claims.get("groups")))


def teams_from_groups(groups) -> set[str]:
    """Group paths under OIDC_TEAM_GROUP_PREFIX (/teams/...): teams whose bookings quota rules
    may count together. Kept as Django groups named by their full path."""
    prefix = "/" + settings.OIDC_TEAM_GROUP_PREFIX.strip("/") + "/"
    return {
        "/" + g.strip("/") for g in groups or [] if isinstance(g, str) and ("/" + g.strip("/") + "/").startswith(prefix)
    }
