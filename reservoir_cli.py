"""`reservoir`: the registry from the shell, for scripts and Ansible.

    reservoir ports find --range 8000-9000 --count 2 --env production
    reservoir allocate port 8234 --service web [--name "web API"] [--env production] [--host app1]
    reservoir allocate port next --range 8000-9000 --service web
    reservoir check domain billing.example.org
    reservoir release 42
    reservoir list --type port [--env production] [--service web]
    reservoir booking check-in 812 | check-out 812 | extend 812 --minutes 30 (or --end 2026-12-01T18:00+01:00)
    reservoir resources --where "gpu_memory_gb >= 80, gpu_model = A100" [--site berlin] [--type 3]
    reservoir lease find --type 3 --count 2 --where "gpu_model = A100" --duration 08:00:00 \
        --window-start 2026-12-01T08:00+01:00 --window-end 2026-12-05T18:00+01:00 [--site berlin]
    reservoir lease book --type 3 --count 2 --where "..." --start 2026-12-01T09:00+01:00 --end 2026-12-01T17:00+01:00
    reservoir lease book ... --duration 08:00:00 --window-start ... --window-end ...   (the earliest time)
    reservoir lease cancel 17 [--reason "done"]

Configuration: RESERVOIR_URL (e.g. https://reservoir.example.org), RESERVOIR_TOKEN (a personal API
token), RESERVOIR_SITE (site slug or id for new allocations); or --url, --token, --site.
Exit codes: 0 done, 3 taken or unavailable, 2 refused or invalid, 1 could not reach the server.
"""

import argparse
import json
import os
import sys

import requests

EXIT_OK, EXIT_UNREACHABLE, EXIT_REFUSED, EXIT_TAKEN = 0, 1, 2, 3


class Client:
    def __init__(self, url: str, token: str, timeout: float = 15):
        self.base = url.rstrip("/") + "/api/"
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json"})
        self.timeout = timeout

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.session.request(method, self.base + path, timeout=self.timeout, **kwargs)

    def site_id(self, site: str | None) -> int:
        if not site:
            raise SystemExit("Give --site (or RESERVOIR_SITE): the site slug or id the allocation belongs to.")
        if site.isdigit():
            return int(site)
        found = self.call("GET", "sites/", params={"slug": site}).json().get("results", [])
        if not found:
            raise SystemExit(f"No site '{site}' visible to this token.")
        return found[0]["id"]


def _range(text: str) -> tuple[int, int]:
    start, _, end = text.partition("-")
    return int(start), int(end or start)


def _out(args, data, human: str) -> None:
    print(json.dumps(data, indent=2, sort_keys=True) if args.json else human)


def _fail(args, response: requests.Response) -> int:
    try:
        body = response.json()
    except ValueError:
        body = {"detail": response.text[:500]}
    _out(args, body, f"error {response.status_code}: {body.get('detail', body)}")
    return EXIT_TAKEN if response.status_code == 409 else EXIT_REFUSED


def run(args, client: Client) -> int:
    if args.command == "ports":
        start, end = _range(args.range)
        response = client.call(
            "POST",
            "system-resources/find-available-ports/",
            json={"start_port": start, "end_port": end, "count": args.count, "environment": args.env},
        )
        if not response.ok:
            return _fail(args, response)
        body = response.json()
        _out(args, body, "\n".join(str(p) for p in body["available_ports"]))
        return EXIT_OK if len(body["available_ports"]) == args.count else EXIT_TAKEN
    if args.command == "check":
        response = client.call(
            "POST",
            "system-resources/check-availability/",
            json={"resource_type": args.type, "resource_value": args.value, "environment": args.env},
        )
        if not response.ok:
            return _fail(args, response)
        body = response.json()
        held = body.get("held_by") or {}
        human = "available" if body["available"] else f"taken by {held.get('owner_service')} since {held.get('since')}"
        _out(args, body, human)
        return EXIT_OK if body["available"] else EXIT_TAKEN
    if args.command == "allocate":
        site = client.site_id(args.site)
        common = {"resource_name": args.name or f"{args.type} for {args.service}", "owner_service": args.service}
        if args.type == "port" and args.value == "next":
            start, end = _range(args.range)
            payload = {**common, "site": site, "start_port": start, "end_port": end, "environment": args.env}
            payload["server_hostname"] = args.host or ""
            response = client.call("POST", "system-resources/allocate-next-port/", json=payload)
        else:
            payload = {
                **common,
                "site": site,
                "resource_type": args.type,
                "resource_value": args.value,
                "environment": args.env,
                "server_hostname": args.host or "",
            }
            response = client.call("POST", "system-resources/", json=payload)
        if not response.ok:
            return _fail(args, response)
        body = response.json()
        _out(args, body, f"{body['id']}\t{body['resource_type']}\t{body['resource_value']}\t{body['environment']}")
        return EXIT_OK
    if args.command == "release":
        response = client.call("DELETE", f"system-resources/{args.id}/")
        if not response.ok:
            return _fail(args, response)
        body = response.json()
        _out(args, body, f"released {body['resource_type']} {body['resource_value']}")
        return EXIT_OK
    if args.command == "booking":
        body = {}
        if args.action == "extend":
            if bool(args.minutes) == bool(args.end):
                print("extend: give --minutes or --end", file=sys.stderr)
                return EXIT_REFUSED
            body = {"minutes": args.minutes} if args.minutes else {"end": args.end}
        response = client.call("POST", f"reservations/{args.id}/{args.action}/", json=body)
        if not response.ok:
            return _fail(args, response)
        r = response.json()
        _out(args, r, f"{r['id']}\t{r['resource_name']}\t{r['start']}\t{r['end']}\t{r['status']}")
        return EXIT_OK
    if args.command == "resources":
        params = {"page_size": 1000, "where": args.where or ""}
        if args.site:
            params["site"] = client.site_id(args.site)
        if args.type:
            params["type"] = args.type
        response = client.call("GET", "resources/", params=params)
        if not response.ok:
            return _fail(args, response)
        rows = response.json()["results"]
        _out(
            args, rows, "\n".join(f"{r['id']}\t{r['name']}\t{r['status']}\t{json.dumps(r['attributes'])}" for r in rows)
        )
        return EXIT_OK
    if args.command == "lease":
        return _lease(args, client)
    if args.command == "list":
        params = {"page_size": 1000}
        for key, value in (("resource_type", args.type), ("environment", args.env), ("owner_service", args.service)):
            if value:
                params[key] = value
        if not args.all:
            params["status"] = ["active", "reserved"]
        response = client.call("GET", "system-resources/", params=params)
        if not response.ok:
            return _fail(args, response)
        rows = response.json()["results"]
        lines = [
            f"{r['id']}\t{r['resource_type']}\t{r['resource_value']}\t{r['environment']}\t{r['owner_service']}\t{r['status']}"
            for r in rows
        ]
        _out(args, rows, "\n".join(lines))
        return EXIT_OK
    return EXIT_REFUSED


def _lease(args, client: Client) -> int:
    if args.action == "cancel":
        response = client.call("DELETE", f"leases/{args.id}/", params={"reason": args.reason or ""})
        if not response.ok:
            return _fail(args, response)
        _out(args, response.json(), f"cancelled lease {args.id}")
        return EXIT_OK
    what = {
        "site": client.site_id(args.site),
        "resource_type": args.type,
        "count": args.count,
        "where": args.where or "",
    }
    when = {"duration": args.duration, "window_start": args.window_start, "window_end": args.window_end}
    if args.action == "find":
        response = client.call("GET", "leases/availability/", params={**what, **when, "limit": args.limit})
        if not response.ok:
            return _fail(args, response)
        body = response.json()
        lines = [f"{w['start']}\t{w['end']}\t{', '.join(r['name'] for r in w['resources'])}" for w in body["windows"]]
        _out(args, body, "\n".join(lines) or f"no window in which {args.count} of {body['matching']} are free")
        return EXIT_OK if body["windows"] else EXIT_TAKEN
    fixed = {"start": args.start, "end": args.end} if args.start else when
    body = {**what, **{k: v for k, v in fixed.items() if v}, "title": args.title or ""}
    response = client.call("POST", "leases/", json=body)
    if not response.ok:
        return _fail(args, response)
    lease = response.json()
    machines = ", ".join(b["resource_name"] for b in lease["bookings"])
    _out(args, lease, f"{lease['id']}\t{lease['start']}\t{lease['end']}\t{machines}")
    return EXIT_OK


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="reservoir", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--url", default=os.environ.get("RESERVOIR_URL", "http://127.0.0.1:8000"))
    p.add_argument("--token", default=os.environ.get("RESERVOIR_TOKEN"))
    p.add_argument("--json", action="store_true", help="print the server's JSON")
    sub = p.add_subparsers(dest="command", required=True)
    ports = sub.add_parser("ports", help="find free ports")
    ports.add_argument("action", choices=["find"])
    ports.add_argument("--range", default="1024-65535")
    ports.add_argument("--count", type=int, default=1)
    ports.add_argument("--env", default="production")
    check = sub.add_parser("check", help="is a value free?")
    check.add_argument("type")
    check.add_argument("value")
    check.add_argument("--env", default="production")
    allocate = sub.add_parser("allocate", help="claim a value (port 'next' claims the lowest free one)")
    allocate.add_argument("type")
    allocate.add_argument("value")
    allocate.add_argument("--service", required=True)
    allocate.add_argument("--name")
    allocate.add_argument("--env", default="production")
    allocate.add_argument("--host")
    allocate.add_argument("--range", default="1024-65535", help="for 'port next'")
    allocate.add_argument("--site", default=os.environ.get("RESERVOIR_SITE"))
    release = sub.add_parser("release", help="release an allocation")
    release.add_argument("id", type=int)
    booking = sub.add_parser("booking", help="check in, check out or extend a booking")
    booking.add_argument("action", choices=["check-in", "check-out", "extend"])
    booking.add_argument("id", type=int)
    booking.add_argument("--minutes", type=int, help="extend: this many minutes more")
    booking.add_argument("--end", help="extend: the new end, ISO 8601 with offset")
    resources = sub.add_parser("resources", help="list resources, filtered by their attributes")
    resources.add_argument("--where", help='e.g. "gpu_memory_gb >= 80, gpu_model = A100"')
    resources.add_argument("--site", default=os.environ.get("RESERVOIR_SITE"))
    resources.add_argument("--type", type=int, help="resource type id")
    lease = sub.add_parser("lease", help="find, book or cancel N matching machines together")
    lease.add_argument("action", choices=["find", "book", "cancel"])
    lease.add_argument("id", type=int, nargs="?", help="cancel: the lease id")
    lease.add_argument("--site", default=os.environ.get("RESERVOIR_SITE"))
    lease.add_argument("--type", type=int, help="resource type id")
    lease.add_argument("--count", type=int, default=1)
    lease.add_argument("--where", help="attribute filter")
    lease.add_argument("--start", help="a fixed time: ISO 8601 with offset")
    lease.add_argument("--end")
    lease.add_argument("--duration", help="or a duration (HH:MM:SS) in a window")
    lease.add_argument("--window-start")
    lease.add_argument("--window-end")
    lease.add_argument("--limit", type=int, default=3, help="find: how many windows")
    lease.add_argument("--title")
    lease.add_argument("--reason", help="cancel: told to the owner")
    listing = sub.add_parser("list", help="list allocations")
    listing.add_argument("--type")
    listing.add_argument("--env")
    listing.add_argument("--service")
    listing.add_argument("--all", action="store_true", help="include released ones")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not args.token:
        print("Set RESERVOIR_TOKEN or give --token (create one on your profile page).", file=sys.stderr)
        return EXIT_REFUSED
    try:
        return run(args, Client(args.url, args.token))
    except requests.RequestException as exc:
        print(f"Cannot reach {args.url}: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE


if __name__ == "__main__":
    sys.exit(main())
