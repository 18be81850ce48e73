# Copyright: Reservoir developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: free_ports
short_description: Ports (or addresses) no service holds in Reservoir's registry
version_added: 0.1.0
description:
  - Returns free ports of a range, or free addresses of a network with O(network), as the registry sees
    them now. Nothing is held; take them with M(reservoir.reservoir.allocation).
author: Reservoir developers (@reservoir)
options:
  count:
    description: How many.
    type: int
    default: 1
  range:
    description: The ports to choose from, as V(start-end).
    type: str
    default: 1024-65535
  network:
    description: Free addresses of this network (CIDR) instead of ports, for example V(10.20.0.0/24).
    type: str
  environment:
    description: The environment.
    type: str
    default: production
  api_url:
    description: The address of the Reservoir installation.
    type: str
    env:
      - name: RESERVOIR_URL
  api_token:
    description: A personal API token or a Keycloak access token.
    type: str
    env:
      - name: RESERVOIR_TOKEN
  validate_certs:
    description: Verify the server's TLS certificate.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Four free ports for the job's services
  ansible.builtin.debug:
    msg: "{{ lookup('reservoir.reservoir.free_ports', count=4, range='20000-20999') }}"

- name: The next free address
  ansible.builtin.debug:
    msg: "{{ lookup('reservoir.reservoir.free_ports', network='10.20.0.0/24') }}"
"""

RETURN = r"""
_list:
  description: The free ports (integers) or addresses (strings), lowest first.
  type: list
"""

import json

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_native
from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.urls import open_url
from ansible.plugins.lookup import LookupBase


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        url, token = self.get_option("api_url"), self.get_option("api_token")
        if not url or not token:
            raise AnsibleError("Give api_url and api_token, or set RESERVOIR_URL and RESERVOIR_TOKEN.")
        count, environment = self.get_option("count"), self.get_option("environment")
        if self.get_option("network"):
            path, body, key = "find-available-ips/", {"network": self.get_option("network")}, "available_ips"
        else:
            start, dash, end = self.get_option("range").partition("-")
            path, key = "find-available-ports/", "available_ports"
            body = {"start_port": int(start), "end_port": int(end if dash else start)}
        body.update(count=count, environment=environment)
        try:
            response = open_url(
                url.rstrip("/") + "/api/system-resources/" + path,
                data=json.dumps(body),
                method="POST",
                headers={
                    "Authorization": "Bearer %s" % token,
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                },
                validate_certs=self.get_option("validate_certs"),
                timeout=60,
            )
            return json.load(response)[key]
        except HTTPError as error:
            try:
                detail = json.loads(error.read()).get("detail") or to_native(error)
            except ValueError:
                detail = to_native(error)
            raise AnsibleError("Reservoir answered %s: %s" % (error.code, detail)) from error
        except (URLError, OSError, ValueError) as error:
            raise AnsibleError("Could not ask Reservoir for free values: %s" % to_native(error)) from error
