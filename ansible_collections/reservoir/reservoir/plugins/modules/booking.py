#!/usr/bin/python
# Copyright: Reservoir developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: booking
short_description: Book a resource of a Reservoir installation for a time, or cancel the booking
version_added: 0.1.0
description:
  - Books one resource from O(start) to O(end) through the same rules as any booking (overlaps, quotas,
    blackouts, approvals), or cancels it.
  - Idempotent. A booking of the same resource, start, end and owner that holds its time is returned instead
    of a second one. With O(key), the request also carries it as its C(Idempotency-Key), so a retry within
    24 hours is answered from the first request and writes nothing.
author: Reservoir developers (@reservoir)
extends_documentation_fragment:
  - reservoir.reservoir.api
options:
  resource:
    description: The resource, by id or name.
    type: str
    required: true
  site:
    description: The site (slug or id), when resource names repeat across sites.
    type: str
  start:
    description: The start, ISO 8601 with an offset, for example V(2026-12-08T09:00:00+01:00).
    type: str
    required: true
  end:
    description: The end, ISO 8601 with an offset.
    type: str
    required: true
  title:
    description: A title shown on the calendars.
    type: str
    default: ""
  description:
    description: Free text.
    type: str
    default: ""
  parameters:
    description: Values for the resource type's parameters (an OS image, say).
    type: dict
  owner:
    description: Whose booking it is (a username); site administrators may book for members. Default, yourself.
    type: str
  key:
    description: An idempotency key of the playbook's choosing, sent as C(Idempotency-Key).
    type: str
  reason:
    description: Told to the owner when O(state=absent) cancels the booking.
    type: str
    default: ""
  state:
    description: V(present) books; V(absent) cancels.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Supports check mode and diff mode.
"""

EXAMPLES = r"""
- name: dgx-01 for the benchmark
  reservoir.reservoir.booking:
    resource: dgx-01
    site: berlin
    start: "2026-12-08T09:00:00+01:00"
    end: "2026-12-08T17:00:00+01:00"
    title: Benchmarks
    parameters:
      os_image: ubuntu-24.04
  register: booked
"""

RETURN = r"""
booking:
  description: The booking as the API answers it (empty when cancelled, or in check mode before it exists).
  returned: always
  type: dict
"""

from datetime import datetime

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.reservoir.reservoir.plugins.module_utils.api import (
    API_ARGUMENTS,
    LIVE,
    ApiError,
    Client,
)

PATH = "/api/reservations/"


def moment(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def find(client, resource_id, owner, start, end):
    rows = client.all(PATH, resource=resource_id, start=start.isoformat(), end=end.isoformat())
    for row in rows:
        same_time = moment(row["start"]) == start and moment(row["end"]) == end
        if same_time and row["status"] in LIVE and row.get("owner") == owner:
            return row
    return None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            resource=dict(type="str", required=True),
            site=dict(type="str"),
            start=dict(type="str", required=True),
            end=dict(type="str", required=True),
            title=dict(type="str", default=""),
            description=dict(type="str", default=""),
            parameters=dict(type="dict"),
            owner=dict(type="str"),
            key=dict(type="str", no_log=False),
            reason=dict(type="str", default=""),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            **API_ARGUMENTS,
        ),
        supports_check_mode=True,
    )
    params = module.params
    client = Client(module)
    try:
        start, end = moment(params["start"]), moment(params["end"])
    except ValueError as error:
        module.fail_json(msg="start and end are ISO 8601 times with an offset: %s" % error)
    if start.tzinfo is None or end.tzinfo is None:
        module.fail_json(msg="Give start and end with an offset, for example 2026-12-08T09:00:00+01:00.")
    try:
        resource_id = client.resource_id(params["resource"], client.site_id(params["site"]))
        owner = params["owner"] or client.me()["username"]
        existing = find(client, resource_id, owner, start, end)
        if params["state"] == "absent":
            if existing is None:
                module.exit_json(changed=False, booking={})
            if not module.check_mode:
                client.request("DELETE", "%s%s/" % (PATH, existing["id"]), query={"reason": params["reason"]})
            module.exit_json(changed=True, booking={}, diff={"before": existing, "after": {}})
        if existing is not None:
            module.exit_json(changed=False, booking=existing)
        body = {
            "resource": resource_id,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "title": params["title"],
            "description": params["description"],
            "parameters": params["parameters"] or {},
        }
        if params["owner"]:
            body["owner"] = params["owner"]
        if module.check_mode:
            module.exit_json(changed=True, booking={}, diff={"before": {}, "after": body})
        made = client.request("POST", PATH, body, key=params["key"])
        module.exit_json(changed=not client.replayed, booking=made, diff={"before": {}, "after": made})
    except ApiError as error:
        client.fail(error)


if __name__ == "__main__":
    main()
