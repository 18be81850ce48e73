#!/usr/bin/python
# Copyright: Reservoir developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: allocation_template
short_description: Apply an allocation template of Reservoir's registry for a service, or release what it made
version_added: 0.1.0
description:
  - Applies a template (for example a port range, a directory and a database for a job) with its variables,
    all its allocations or none, owned by O(service) in O(environment) at the site.
  - Idempotent. When the service already holds allocations in that environment at the site, the template
    counts as applied and they are returned; O(state=absent) releases every allocation the service holds there.
author: Reservoir developers (@reservoir)
extends_documentation_fragment:
  - reservoir.reservoir.api
options:
  template:
    description: The template, by name or id.
    type: str
    required: true
  site:
    description: The site, by slug or id.
    type: str
    required: true
  service:
    description: The service that holds what the template makes.
    type: str
    required: true
  environment:
    description: The environment.
    type: str
    default: production
  variables:
    description: Values for the template placeholders, for example C(job) set to V(42).
    type: dict
    default: {}
  state:
    description: V(present) applies; V(absent) releases.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Supports check mode and diff mode.
"""

EXAMPLES = r"""
- name: Ports, scratch and a database for job 42
  reservoir.reservoir.allocation_template:
    template: gpu job
    site: berlin
    service: job-42
    variables:
      job: "42"
  register: job
"""

RETURN = r"""
allocations:
  description: The allocations the service holds (empty when released, or in check mode before they exist).
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.reservoir.reservoir.plugins.module_utils.api import API_ARGUMENTS, HELD, ApiError, Client

PATH = "/api/system-resources/"


def main():
    module = AnsibleModule(
        argument_spec=dict(
            template=dict(type="str", required=True),
            site=dict(type="str", required=True),
            service=dict(type="str", required=True),
            environment=dict(type="str", default="production"),
            variables=dict(type="dict", default={}),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            **API_ARGUMENTS,
        ),
        supports_check_mode=True,
    )
    params = module.params
    client = Client(module)
    try:
        site_id = client.site_id(params["site"])
        held = [
            row
            for row in client.all(
                PATH, site=site_id, owner_service=params["service"], environment=params["environment"]
            )
            if row["status"] in HELD
        ]
        if params["state"] == "absent":
            if not held:
                module.exit_json(changed=False, allocations=[])
            if not module.check_mode:
                for row in held:
                    client.request("DELETE", "%s%s/" % (PATH, row["id"]))
            module.exit_json(changed=True, allocations=[], diff={"before": {"allocations": held}, "after": {}})
        if held:
            module.exit_json(changed=False, allocations=held)
        name = params["template"]
        if str(name).isdigit():
            template_id = int(name)
        else:
            named = [t for t in client.all(PATH + "templates/", search=name) if t["name"] == name]
            if not named:
                module.fail_json(msg="No allocation template named %r." % name)
            template_id = named[0]["id"]
        if module.check_mode:
            module.exit_json(changed=True, allocations=[], diff={"before": {}, "after": {"template": name}})
        body = {
            "site": site_id,
            "service": params["service"],
            "environment": params["environment"],
            "variables": {key: str(value) for key, value in params["variables"].items()},
        }
        made = client.request("POST", "%stemplates/%s/apply/" % (PATH, template_id), body)
        module.exit_json(changed=True, allocations=made, diff={"before": {}, "after": {"allocations": made}})
    except ApiError as error:
        client.fail(error)


if __name__ == "__main__":
    main()
