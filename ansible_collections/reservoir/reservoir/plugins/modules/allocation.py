#!/usr/bin/python
# Copyright: Reservoir developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: allocation
short_description: Hold or release a port, address, directory, database... in Reservoir's registry
version_added: 0.1.0
description:
  - Claims a value in the system resource registry of a Reservoir installation, so that no two services
    ever hold the same one, or releases it.
  - Idempotent. An allocation already held for the same O(resource_type), O(resource_name), O(owner_service)
    and O(environment) at the site is returned instead of a second one being taken.
author: Reservoir developers (@reservoir)
extends_documentation_fragment:
  - reservoir.reservoir.api
options:
  site:
    description: The site, by slug or id.
    type: str
    required: true
  resource_type:
    description: The kind of value, for example V(port), V(ip_address), V(directory), V(database), V(domain).
    type: str
    required: true
  resource_name:
    description: What the value is for, for example V(job 42 port).
    type: str
    required: true
  resource_value:
    description:
      - The value to hold, for example V(20001) or V(/scratch/job-42).
      - V(next) takes the next free port in O(range).
      - Required with O(state=present) unless an allocation is held already.
    type: str
  range:
    description: The ports V(next) chooses from, as V(start-end), for example V(20000-20999).
    type: str
    default: 1024-65535
  owner_service:
    description: The service that holds the value.
    type: str
    required: true
  environment:
    description: The environment the value belongs to.
    type: str
    default: production
  server_hostname:
    description: The host the value lives on.
    type: str
    default: ""
  description:
    description: Free text shown in the registry.
    type: str
    default: ""
  state:
    description: V(present) holds the value; V(absent) releases it (the record stays, released).
    type: str
    choices: [present, absent]
    default: present
notes:
  - Supports check mode and diff mode.
"""

EXAMPLES = r"""
- name: The next free port for the job
  reservoir.reservoir.allocation:
    site: berlin
    resource_type: port
    resource_name: job 42 port
    resource_value: next
    range: 20000-20999
    owner_service: training
  register: port

- name: Give it back
  reservoir.reservoir.allocation:
    site: berlin
    resource_type: port
    resource_name: job 42 port
    owner_service: training
    state: absent
"""

RETURN = r"""
allocation:
  description: The allocation as the API answers it (empty when released or in check mode before it exists).
  returned: always
  type: dict
  sample: {"id": 7, "resource_type": "port", "resource_value": "20001", "status": "active"}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.reservoir.reservoir.plugins.module_utils.api import (
    API_ARGUMENTS,
    HELD,
    ApiError,
    Client,
)

PATH = "/api/system-resources/"


def held(client, site_id, params):
    rows = client.all(
        PATH,
        site=site_id,
        resource_type=params["resource_type"],
        resource_name=params["resource_name"],
        owner_service=params["owner_service"],
        environment=params["environment"],
    )
    rows = [row for row in rows if row["status"] in HELD]
    return rows[0] if rows else None


def take(client, site_id, params):
    common = {
        "site": site_id,
        "resource_name": params["resource_name"],
        "owner_service": params["owner_service"],
        "environment": params["environment"],
        "server_hostname": params["server_hostname"],
        "description": params["description"],
    }
    if params["resource_value"] == "next":
        start, dash, end = params["range"].partition("-")
        return client.request(
            "POST",
            PATH + "allocate-next-port/",
            {**common, "start_port": int(start), "end_port": int(end if dash else start)},
        )
    return client.request(
        "POST", PATH, {**common, "resource_type": params["resource_type"], "resource_value": params["resource_value"]}
    )


def main():
    module = AnsibleModule(
        argument_spec=dict(
            site=dict(type="str", required=True),
            resource_type=dict(type="str", required=True),
            resource_name=dict(type="str", required=True),
            resource_value=dict(type="str"),
            range=dict(type="str", default="1024-65535"),
            owner_service=dict(type="str", required=True),
            environment=dict(type="str", default="production"),
            server_hostname=dict(type="str", default=""),
            description=dict(type="str", default=""),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            **API_ARGUMENTS,
        ),
        supports_check_mode=True,
    )
    params = module.params
    client = Client(module)
    try:
        site_id = client.site_id(params["site"])
        existing = held(client, site_id, params)
        if params["state"] == "absent":
            if existing is None:
                module.exit_json(changed=False, allocation={})
            if not module.check_mode:
                client.request("DELETE", "%s%s/" % (PATH, existing["id"]))
            module.exit_json(changed=True, allocation={}, diff={"before": existing, "after": {}})
        wanted = params["resource_value"]
        if existing is not None:
            if wanted not in (None, "next", existing["resource_value"]):
                module.fail_json(
                    msg="%s holds %s already for %s; release it (state: absent) before taking %s."
                    % (params["resource_name"], existing["resource_value"], params["owner_service"], wanted),
                    allocation=existing,
                )
            module.exit_json(changed=False, allocation=existing)
        if wanted is None:
            module.fail_json(msg="Give resource_value (a value, or next with range) to take one.")
        if wanted == "next" and params["resource_type"] != "port":
            module.fail_json(msg="resource_value: next is for ports; give the value for %s." % params["resource_type"])
        if module.check_mode:
            module.exit_json(changed=True, allocation={}, diff={"before": {}, "after": {"resource_value": wanted}})
        made = take(client, site_id, params)
        module.exit_json(changed=True, allocation=made, diff={"before": {}, "after": made})
    except ApiError as error:
        client.fail(error)


if __name__ == "__main__":
    main()
