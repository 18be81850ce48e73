#!/usr/bin/python
# Copyright: Reservoir developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lease
short_description: Lease N matching machines of a Reservoir installation together, or cancel the lease
version_added: 0.1.0
description:
  - Books O(count) free resources of a type that match O(where), all or none, at a fixed O(start)-O(end) or
    for O(duration) at the earliest time in [O(window_start), O(window_end)) at which that many are free.
  - Returns the machines with their bookings and the allocations tied to each booking.
  - Idempotent. A lease of yours that is not cancelled, with the same site, type, O(where), O(count) and
    O(title), at the same times (or, with a window, of the same duration within it) is returned instead of a
    second one.
author: Reservoir developers (@reservoir)
extends_documentation_fragment:
  - reservoir.reservoir.api
options:
  site:
    description: The site, by slug or id.
    type: str
    required: true
  resource_type:
    description: The type, by name or id.
    type: str
    required: true
  count:
    description: How many machines.
    type: int
    default: 1
  where:
    description: An attribute filter, for example V(gpu_model = A100, gpu_memory_gb >= 80).
    type: str
    default: ""
  start:
    description: A fixed start (ISO 8601 with an offset); give O(end) with it.
    type: str
  end:
    description: A fixed end (ISO 8601 with an offset).
    type: str
  duration:
    description: Or how long, as V(HH:MM:SS), V(8h) or V(90m), with O(window_start) and O(window_end).
    type: str
  window_start:
    description: The earliest start to search from.
    type: str
  window_end:
    description: The latest end to search until.
    type: str
  title:
    description: A title for the lease and its bookings.
    type: str
    default: ""
  parameters:
    description: Values for the type's parameters, for every booking.
    type: dict
  reason:
    description: Told to the owner when O(state=absent) cancels the lease.
    type: str
    default: ""
  state:
    description: V(present) leases; V(absent) cancels the lease.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Supports check mode and diff mode.
"""

EXAMPLES = r"""
- name: Two A100 servers for eight hours this week
  reservoir.reservoir.lease:
    site: berlin
    resource_type: GPU server
    count: 2
    where: "gpu_model = A100, gpu_memory_gb >= 80"
    duration: 8h
    window_start: "2026-12-07T08:00:00+01:00"
    window_end: "2026-12-12T18:00:00+01:00"
    title: Training run
  register: leased
"""

RETURN = r"""
lease:
  description: The lease as the API answers it (empty when cancelled, or in check mode before it exists).
  returned: always
  type: dict
machines:
  description: Each leased machine with its booking and the allocations tied to that booking.
  returned: always
  type: list
  elements: dict
"""

import re
from datetime import datetime, timedelta

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.reservoir.reservoir.plugins.module_utils.api import (
    API_ARGUMENTS,
    HELD,
    ApiError,
    Client,
)

PATH = "/api/leases/"


def moment(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def duration_of(text):
    found = re.fullmatch(r"\s*(\d+)\s*([hm])\s*", text or "")
    if found:
        amount = int(found.group(1))
        return timedelta(hours=amount) if found.group(2) == "h" else timedelta(minutes=amount)
    parts = (text or "").split(":")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return timedelta(hours=int(parts[0]), minutes=int(parts[1]), seconds=int(parts[2]))
    raise ValueError("duration is HH:MM:SS, <n>h or <n>m, not %r" % text)


def clock(delta):
    seconds = int(delta.total_seconds())
    return "%02d:%02d:%02d" % (seconds // 3600, seconds % 3600 // 60, seconds % 60)


def type_id(client, name, site_id):
    if str(name).isdigit():
        return int(name)
    found = [t for t in client.all("/api/resource-types/", available_at=site_id) if t["name"] == name]
    if not found:
        client.module.fail_json(msg="No resource type %r at this site." % name)
    return found[0]["id"]


def same(lease, params, fixed, window, length):
    if lease["status"] == "cancelled" or lease.get("cancelled_at"):
        return False
    if (lease["where"], lease["count"], lease["title"]) != (params["where"], params["count"], params["title"]):
        return False
    start, end = moment(lease["start"]), moment(lease["end"])
    if fixed:
        return (start, end) == fixed
    return end - start == length and window[0] <= start and end <= window[1]


def machines(client, lease):
    out = []
    for booking in lease["bookings"]:
        allocations = [a for a in client.all("/api/system-resources/", booking=booking["id"]) if a["status"] in HELD]
        out.append(
            {
                "name": booking["resource_name"],
                "resource": booking["resource"],
                "booking": booking["id"],
                "status": booking["status"],
                "allocations": allocations,
            }
        )
    return out


def main():
    module = AnsibleModule(
        argument_spec=dict(
            site=dict(type="str", required=True),
            resource_type=dict(type="str", required=True),
            count=dict(type="int", default=1),
            where=dict(type="str", default=""),
            start=dict(type="str"),
            end=dict(type="str"),
            duration=dict(type="str"),
            window_start=dict(type="str"),
            window_end=dict(type="str"),
            title=dict(type="str", default=""),
            parameters=dict(type="dict"),
            reason=dict(type="str", default=""),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            **API_ARGUMENTS,
        ),
        required_together=[["start", "end"], ["duration", "window_start", "window_end"]],
        mutually_exclusive=[["start", "duration"]],
        required_one_of=[["start", "duration"]],
        supports_check_mode=True,
    )
    params = module.params
    client = Client(module)
    try:
        fixed = (moment(params["start"]), moment(params["end"])) if params["start"] else None
        window = (moment(params["window_start"]), moment(params["window_end"])) if params["duration"] else None
        length = duration_of(params["duration"]) if params["duration"] else None
    except ValueError as error:
        module.fail_json(msg=str(error))
    try:
        site_id = client.site_id(params["site"])
        kind_id = type_id(client, params["resource_type"], site_id)
        me = client.me()["username"]
        mine = [
            lease
            for lease in client.all(PATH, site=site_id, resource_type=kind_id)
            if lease["owner"] == me and same(lease, params, fixed, window, length)
        ]
        existing = mine[0] if mine else None
        if params["state"] == "absent":
            if existing is None:
                module.exit_json(changed=False, lease={}, machines=[])
            if not module.check_mode:
                client.request("DELETE", "%s%s/" % (PATH, existing["id"]), query={"reason": params["reason"]})
            module.exit_json(changed=True, lease={}, machines=[], diff={"before": existing, "after": {}})
        if existing is not None:
            module.exit_json(changed=False, lease=existing, machines=machines(client, existing))
        body = {
            "site": site_id,
            "resource_type": kind_id,
            "count": params["count"],
            "where": params["where"],
            "title": params["title"],
            "parameters": params["parameters"] or {},
        }
        if fixed:
            body.update(start=fixed[0].isoformat(), end=fixed[1].isoformat())
        else:
            body.update(duration=clock(length), window_start=window[0].isoformat(), window_end=window[1].isoformat())
        if module.check_mode:
            module.exit_json(changed=True, lease={}, machines=[], diff={"before": {}, "after": body})
        made = client.request("POST", PATH, body)
        module.exit_json(changed=True, lease=made, machines=machines(client, made), diff={"before": {}, "after": made})
    except ApiError as error:
        client.fail(error)


if __name__ == "__main__":
    main()
