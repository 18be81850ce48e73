#!/usr/bin/python
# Copyright: Reservoir developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: resource
short_description: Sites, resource types and resources of a Reservoir installation as code
version_added: 0.1.0
description:
  - Makes a site, a resource type or a resource look as described, or deletes it, as
    C(netbox.netbox.netbox_device) does for devices. Only the options given are compared and changed.
  - Idempotent. A site is found by its slug, a type by its name (and site), a resource by its name and site.
  - Needs the rights of an administrator of the site (a global administrator for sites and global types).
author: Reservoir developers (@reservoir)
extends_documentation_fragment:
  - reservoir.reservoir.api
options:
  kind:
    description: What to manage.
    type: str
    choices: [site, resource_type, resource]
    default: resource
  name:
    description: Its name (for a site, its display name).
    type: str
    required: true
  slug:
    description: A site's slug (its key); default, made from O(name).
    type: str
  time_zone:
    description: A site's IANA time zone, for example V(Europe/Berlin).
    type: str
  site:
    description: The site (slug or id) of a resource or of a site-specific type.
    type: str
  resource_type:
    description: A resource's type, by name or id.
    type: str
  parent:
    description: A resource's parent resource, by name or id.
    type: str
  color:
    description: A type's colour on the calendars, as V(#rrggbb).
    type: str
  description:
    description: Free text.
    type: str
  location:
    description: Where a site or a resource is.
    type: str
  specs:
    description: A resource's free-text specification.
    type: str
  attributes:
    description: A resource attributes (what lease filters match), for example C(gpu_model) set to V(A100).
    type: dict
  status:
    description: A resource's status.
    type: str
    choices: [active, maintenance, unavailable]
  state:
    description: V(present) makes it so; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Supports check mode and diff mode.
"""

EXAMPLES = r"""
- name: The GPU servers of Berlin as code
  reservoir.reservoir.resource:
    site: berlin
    resource_type: GPU server
    name: "a100-{{ item }}"
    attributes:
      gpu_model: A100
      gpu_memory_gb: 80
      ip: "10.0.0.{{ 10 + item }}"
  loop: [0, 1, 2, 3]
"""

RETURN = r"""
object:
  description: The site, type or resource as the API answers it (empty when deleted).
  returned: always
  type: dict
"""

import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.reservoir.reservoir.plugins.module_utils.api import API_ARGUMENTS, ApiError, Client

PATHS = {"site": "/api/sites/", "resource_type": "/api/resource-types/", "resource": "/api/resources/"}
FIELDS = {
    "site": ("name", "slug", "time_zone", "description", "location"),
    "resource_type": ("name", "site", "color", "description"),
    "resource": (
        "name",
        "site",
        "resource_type",
        "parent",
        "description",
        "location",
        "specs",
        "attributes",
        "status",
    ),
}


def wanted(client, kind, params):
    """The options given, as the API's fields (names resolved to ids)."""
    values = {name: params[name] for name in FIELDS[kind] if params.get(name) is not None}
    if kind == "site":
        values.setdefault("slug", re.sub(r"[^a-z0-9]+", "-", params["name"].lower()).strip("-"))
    if kind != "site" and "site" in values:
        values["site"] = client.site_id(values["site"])
    if kind == "resource":
        if "resource_type" in values and not str(values["resource_type"]).isdigit():
            types = client.all("/api/resource-types/", available_at=values.get("site"))
            named = [t["id"] for t in types if t["name"] == values["resource_type"]]
            if not named:
                client.module.fail_json(msg="No resource type %r at this site." % values["resource_type"])
            values["resource_type"] = named[0]
        if "parent" in values:
            values["parent"] = client.resource_id(values["parent"], values.get("site"))
    return values


def find(client, kind, values):
    if kind == "site":
        rows = client.all(PATHS[kind], slug=values["slug"])
    else:
        query = {"search": values["name"]}
        if values.get("site"):
            query["site"] = values["site"]
        rows = [r for r in client.all(PATHS[kind], **query) if r["name"] == values["name"]]
        if kind == "resource_type":
            rows = [r for r in rows if r.get("site") == values.get("site")]
    return rows[0] if rows else None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            kind=dict(type="str", choices=list(PATHS), default="resource"),
            name=dict(type="str", required=True),
            slug=dict(type="str"),
            time_zone=dict(type="str"),
            site=dict(type="str"),
            resource_type=dict(type="str"),
            parent=dict(type="str"),
            color=dict(type="str"),
            description=dict(type="str"),
            location=dict(type="str"),
            specs=dict(type="str"),
            attributes=dict(type="dict"),
            status=dict(type="str", choices=["active", "maintenance", "unavailable"]),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            **API_ARGUMENTS,
        ),
        required_if=[["kind", "resource", ["site", "resource_type"]]],
        supports_check_mode=True,
    )
    params, kind = module.params, module.params["kind"]
    client = Client(module)
    try:
        values = wanted(client, kind, params)
        existing = find(client, kind, values)
        if params["state"] == "absent":
            if existing is None:
                module.exit_json(changed=False, object={})
            if not module.check_mode:
                client.request("DELETE", "%s%s/" % (PATHS[kind], existing["id"]))
            module.exit_json(changed=True, object={}, diff={"before": existing, "after": {}})
        if existing is None:
            if module.check_mode:
                module.exit_json(changed=True, object={}, diff={"before": {}, "after": values})
            made = client.request("POST", PATHS[kind], values)
            module.exit_json(changed=True, object=made, diff={"before": {}, "after": made})
        changes = {name: value for name, value in values.items() if existing.get(name) != value}
        if not changes:
            module.exit_json(changed=False, object=existing)
        before = {name: existing.get(name) for name in changes}
        if module.check_mode:
            module.exit_json(changed=True, object=existing, diff={"before": before, "after": changes})
        # A status change goes through the same service as any: bookings on it are replaced or told.
        changed = client.request("PATCH", "%s%s/" % (PATHS[kind], existing["id"]), changes)
        module.exit_json(changed=True, object=changed, diff={"before": before, "after": changes})
    except ApiError as error:
        client.fail(error)


if __name__ == "__main__":
    main()
