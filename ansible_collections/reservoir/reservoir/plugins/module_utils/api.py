# Copyright: Reservoir developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The REST API from a module: authentication, the one error shape, pages, retries without doubles."""

from __future__ import annotations

import json
import time
import uuid

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.six.moves.urllib.parse import urlencode
from ansible.module_utils.urls import fetch_url

API_ARGUMENTS = dict(
    api_url=dict(type="str", fallback=(env_fallback, ["RESERVOIR_URL"])),
    api_token=dict(type="str", no_log=True, fallback=(env_fallback, ["RESERVOIR_TOKEN"])),
    validate_certs=dict(type="bool", default=True),
)

LIVE = ("confirmed", "pending")  # bookings that hold their time
HELD = ("active", "reserved")  # allocations that hold their value


def every_row(get, path, **query):
    """Every row of a list, page after page; `get(path, **query)` answers one page."""
    query.setdefault("page_size", 1000)
    page, rows = 1, []
    while True:
        answer = get(path, page=page, **query)
        if isinstance(answer, list):
            return answer
        rows.extend(answer["results"])
        if not answer.get("next"):
            return rows
        page += 1


class ApiError(Exception):
    def __init__(self, status, body):
        body = body if isinstance(body, dict) else {"detail": str(body)}
        super().__init__(body.get("detail") or "HTTP %s" % status)
        self.status = status
        self.body = body


class Client:
    """One module's way to the API. Writes that create carry an Idempotency-Key, reused when a
    connection error makes the module send again, so a retry never books or allocates twice."""

    def __init__(self, module):
        self.module = module
        url, token = module.params.get("api_url"), module.params.get("api_token")
        if not url or not token:
            module.fail_json(msg="Give api_url and api_token, or set RESERVOIR_URL and RESERVOIR_TOKEN.")
        self.base = url.rstrip("/")
        self.token = token
        self.replayed = False  # the last creating request answered from an earlier one with its key

    def request(self, method, path, body=None, query=None, key=None):
        url = self.base + path
        if query:
            url += "?" + urlencode(query, doseq=True)
        headers = {"Authorization": "Bearer %s" % self.token, "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        if method == "POST":
            headers["Idempotency-Key"] = key or str(uuid.uuid4())
        retries = 3 if method in ("GET", "POST") else 1
        for attempt in range(retries):
            response, info = fetch_url(self.module, url, data=data, headers=headers, method=method, timeout=30)
            if info["status"] != -1 or attempt == retries - 1:
                break
            time.sleep(1 + attempt)  # the connection failed: the same key makes the retry safe
        status = info["status"]
        # An HTTP error's body was read by fetch_url into info (the response it returns is spent).
        content = info["body"] if "body" in info else (response.read() if response is not None else b"")
        try:
            payload = json.loads(content) if content else None
        except ValueError:
            payload = {"detail": content.decode("utf-8", "replace")[:500]}
        if status < 200 or status >= 300:
            raise ApiError(status, payload or {"detail": info.get("msg", "no answer")})
        self.replayed = str(info.get("idempotent-replayed", "")).lower() == "true"
        return payload

    def get(self, path, **query):
        return self.request("GET", path, query=query or None)

    def all(self, path, **query):
        return every_row(self.get, path, **query)

    def fail(self, error, **result):
        body = error.body
        self.module.fail_json(
            msg=body.get("detail") or str(error),
            status=error.status,
            code=body.get("code"),
            errors=body.get("errors") or {},
            **result,
        )

    def site_id(self, site):
        """A site given by id or slug."""
        if site is None:
            return None
        if str(site).isdigit():
            return int(site)
        found = self.all("/api/sites/", slug=site)
        if not found:
            self.module.fail_json(msg="No site %r among those you may see." % site)
        return found[0]["id"]

    def resource_id(self, resource, site_id=None):
        """A resource given by id or name (at `site_id` when names repeat across sites)."""
        if str(resource).isdigit():
            return int(resource)
        query = {"search": resource}
        if site_id:
            query["site"] = site_id
        found = [r for r in self.all("/api/resources/", **query) if r["name"] == resource]
        if len(found) != 1:
            self.module.fail_json(
                msg="%s resource named %r; give its id or the site."
                % ("No" if not found else "More than one", resource)
            )
        return found[0]["id"]

    def me(self):
        return self.get("/api/users/me/")
