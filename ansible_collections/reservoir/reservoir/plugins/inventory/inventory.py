# Copyright: Reservoir developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: inventory
short_description: The machines you hold in Reservoir, as an inventory
version_added: 0.1.0
description:
  - Hosts are the resources of your running and upcoming bookings and leases in a Reservoir installation
    (or of anyone's, for an administrator with O(mine=false)), narrowed by site, type, attribute filter,
    lease, booking status and time window.
  - Each host carries the resource's attributes and specs, its booking's and lease's times, and the
    allocations tied to the booking (ports, directories, databases), as C(reservoir_*) variables.
  - Hosts are grouped by site, type and lease; C(compose), C(groups) and C(keyed_groups) add more.
  - The inventory file's name must end in C(reservoir.yml) or C(reservoir.yaml).
author: Reservoir developers (@reservoir)
extends_documentation_fragment:
  - constructed
  - inventory_cache
options:
  plugin:
    description: The name of this plugin.
    required: true
    choices: [reservoir.reservoir.inventory]
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
  mine:
    description: Only your own bookings (administrators may see everyone's with V(false)).
    type: bool
    default: true
  site:
    description: Only this site (slug or id).
    type: str
  resource_type:
    description: Only resources of this type (name or id).
    type: str
  where:
    description: Only resources matching this attribute filter, for example V(gpu_memory_gb >= 80).
    type: str
  lease:
    description: Only the machines of this lease (its id), whenever it is (O(start) and O(end) apply only if given).
    type: int
  status:
    description: Bookings in these states.
    type: list
    elements: str
    default: [confirmed, pending]
  start:
    description: Bookings still running at or after this moment (ISO 8601); default, now (none with O(lease)).
    type: str
  end:
    description: Bookings starting before this moment (ISO 8601); default, a year from O(start) (none with O(lease)).
    type: str
  host_attribute:
    description: The resource attribute whose value becomes C(ansible_host), for example V(ip).
    type: str
"""

EXAMPLES = r"""
# leased.reservoir.yml
plugin: reservoir.reservoir.inventory
lease: 42
host_attribute: ip
keyed_groups:
  - key: reservoir_resource.attributes.gpu_model
    prefix: gpu
compose:
  scratch: reservoir_directories[0]
"""

import json
import re
from datetime import datetime, timedelta, UTC

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_native
from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import urlencode
from ansible.module_utils.urls import open_url
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible_collections.reservoir.reservoir.plugins.module_utils.api import every_row

HELD = ("active", "reserved")


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "reservoir.reservoir.inventory"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(("reservoir.yml", "reservoir.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        key = self.get_cache_key(path)
        use_cache = self.get_option("cache")
        hosts = None
        if cache and use_cache:
            try:
                hosts = self._cache[key]
            except KeyError:
                hosts = None
        if hosts is None:
            hosts = self._fetch()
            if use_cache:
                self._cache[key] = hosts
        self._populate(hosts)

    # --- The API ------------------------------------------------------------------------------

    def _get(self, path, **query):
        url = self.get_option("api_url")
        token = self.get_option("api_token")
        if not url or not token:
            raise AnsibleError("Give api_url and api_token, or set RESERVOIR_URL and RESERVOIR_TOKEN.")
        address = url.rstrip("/") + path + ("?" + urlencode(query, doseq=True) if query else "")
        try:
            response = open_url(
                address,
                headers={"Authorization": "Bearer %s" % token, "Accept": "application/json"},
                validate_certs=self.get_option("validate_certs"),
                timeout=60,
            )
            return json.load(response)
        except HTTPError as error:
            try:
                detail = json.loads(error.read()).get("detail") or to_native(error)
            except ValueError:
                detail = to_native(error)
            raise AnsibleError("Reservoir answered %s for %s: %s" % (error.code, path, detail)) from error
        except (URLError, OSError, ValueError) as error:
            raise AnsibleError("Could not read %s from Reservoir: %s" % (path, to_native(error))) from error

    def _all(self, path, **query):
        return every_row(self._get, path, **query)

    def _site_id(self, site):
        if site is None or str(site).isdigit():
            return site
        found = self._all("/api/sites/", slug=site)
        if not found:
            raise AnsibleError("No site %r among those you may see." % site)
        return found[0]["id"]

    def _window(self):
        """A named lease lists its machines whenever it is: the window applies only where given."""
        start, end = self.get_option("start"), self.get_option("end")
        if self.get_option("lease"):
            return {key: value for key, value in (("start", start), ("end", end)) if value}
        start = start or datetime.now(UTC).isoformat()
        end = end or (datetime.fromisoformat(start.replace("Z", "+00:00")) + timedelta(days=366)).isoformat()
        return {"start": start, "end": end}

    def _fetch(self):
        query = {"status": self.get_option("status"), **self._window()}
        if self.get_option("mine"):
            query["mine"] = "true"
        site = self._site_id(self.get_option("site"))
        if site:
            query["site"] = site
        if self.get_option("lease"):
            query["lease"] = self.get_option("lease")
        bookings = self._all("/api/reservations/", **query)
        sites = sorted({b["site"] for b in bookings})
        resources, allocations = {}, {}
        for site_id in sites:
            wanted = {"site": site_id}
            if self.get_option("where"):
                wanted["where"] = self.get_option("where")
            for resource in self._all("/api/resources/", **wanted):
                resources[resource["id"]] = resource
            for allocation in self._all("/api/system-resources/", site=site_id):
                if allocation.get("booking") and allocation["status"] in HELD:
                    allocations.setdefault(allocation["booking"], []).append(allocation)
        kind = self.get_option("resource_type")
        leases = {}
        for lease_id in sorted({b["lease"] for b in bookings if b.get("lease")}):
            leases[lease_id] = self._get("/api/leases/%s/" % lease_id)
        hosts = {}
        for booking in sorted(bookings, key=lambda b: b["start"]):
            resource = resources.get(booking["resource"])
            if resource is None or (kind and kind not in (str(resource["resource_type"]), resource["type_name"])):
                continue
            host = hosts.setdefault(resource["name"], {"resource": resource, "bookings": []})
            host["bookings"].append(booking)
        return [
            {
                "name": name,
                "resource": host["resource"],
                "bookings": host["bookings"],
                "lease": leases.get(host["bookings"][0].get("lease")),
                "allocations": [a for b in host["bookings"] for a in allocations.get(b["id"], [])],
            }
            for name, host in sorted(hosts.items())
        ]

    # --- The inventory ------------------------------------------------------------------------

    def _group(self, name):
        return self.inventory.add_group(re.sub(r"[^A-Za-z0-9_]", "_", name).lower())

    def _populate(self, hosts):
        strict = self.get_option("strict")
        for host in hosts:
            name = self.inventory.add_host(host["name"])
            resource, booking, lease = host["resource"], host["bookings"][0], host["lease"]
            by_kind = {}
            for allocation in host["allocations"]:
                by_kind.setdefault(allocation["resource_type"], []).append(allocation["resource_value"])
            variables = {
                "reservoir_resource": {
                    key: resource.get(key)
                    for key in ("id", "name", "site", "site_name", "type_name", "status", "attributes", "specs")
                },
                "reservoir_booking": {
                    key: booking.get(key) for key in ("id", "title", "start", "end", "status", "lease", "parameters")
                },
                "reservoir_bookings": [b["id"] for b in host["bookings"]],
                "reservoir_lease": {
                    key: lease.get(key) for key in ("id", "title", "start", "end", "count", "where", "status")
                }
                if lease
                else None,
                "reservoir_allocations": host["allocations"],
                "reservoir_ports": by_kind.get("port", []),
                "reservoir_directories": by_kind.get("directory", []),
                "reservoir_databases": by_kind.get("database", []),
            }
            attribute = self.get_option("host_attribute")
            if attribute and (resource.get("attributes") or {}).get(attribute):
                variables["ansible_host"] = resource["attributes"][attribute]
            for key, value in variables.items():
                self.inventory.set_variable(name, key, value)
            self.inventory.add_host(name, group=self._group("site_%s" % resource["site_name"]))
            self.inventory.add_host(name, group=self._group("type_%s" % resource["type_name"]))
            if lease:
                self.inventory.add_host(name, group=self._group("lease_%s" % lease["id"]))
            self._set_composite_vars(self.get_option("compose"), variables, name, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), variables, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), variables, name, strict=strict)
