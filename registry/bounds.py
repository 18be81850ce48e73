"""How wide a claim may be, by role: a member cannot block a whole tree or network for every other
site. Directories (and other paths) need a minimum depth, IP ranges a minimum prefix length (the
longer the prefix, the smaller the range); site administrators may go wider; only global
administrators may claim `/`-like or `/0`-like values. Numbers from settings, shown in the refusal."""

import ipaddress

from django.conf import settings
from django.core.exceptions import ValidationError

from tenancy.access import can_admin_site, is_global_admin

from .kinds import PATH_KINDS, Kind

ROLES = ("member", "site_admin")


def _role(actor, site_id: int) -> str | None:
    if is_global_admin(actor):
        return None  # no bound
    return "site_admin" if can_admin_site(actor, site_id) else "member"


def check(*, actor, site_id: int, kind: str, value: str) -> None:
    """`value` is canonical (kinds.canonical)."""
    role = _role(actor, site_id)
    if role is None:
        return
    limits = settings.REGISTRY_BOUNDS[role]
    who = "site administrators" if role == "site_admin" else "members"
    if kind in PATH_KINDS:
        depth = len([part for part in value.split("/") if part])
        if depth < limits["path_depth"]:
            raise ValidationError(
                {
                    "resource_value": f"{value} is too wide a path for {who}: at least {limits['path_depth']} levels "
                    f"(e.g. /srv/name); wider ones are claimed by "
                    f"{'global administrators' if role == 'site_admin' else 'administrators'}."
                }
            )
    if kind == Kind.IP_RANGE:
        network = ipaddress.ip_network(value)
        minimum = limits["ipv4_prefix"] if network.version == 4 else limits["ipv6_prefix"]
        if network.prefixlen < minimum:
            raise ValidationError(
                {
                    "resource_value": f"{value} is too wide a range for {who}: at most a /{minimum} "
                    f"(IPv{network.version}); wider ranges are claimed by "
                    f"{'global administrators' if role == 'site_admin' else 'administrators'}."
                }
            )
