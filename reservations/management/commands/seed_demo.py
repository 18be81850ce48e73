"""Demo catalogue, users and a few bookings. Safe to run again: what exists is kept."""

import json
import secrets
import zoneinfo
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts import services as account_services
from reservations import services as booking_services
from reservations.leases import services as leases
from reservations.models import Reservation
from resources import services
from resources.models import Resource, ResourceStatus, ResourceType
from tenancy.models import Role, Site

SITES = [
    {
        "name": "Berlin Lab",
        "slug": "berlin",
        "location": "Building C, Adlershof",
        "time_zone": "Europe/Berlin",
        "description": "Wet lab and GPU room.",
    },
    {
        "name": "Boston DC",
        "slug": "boston",
        "location": "Row 4, Cambridge data center",
        "time_zone": "America/New_York",
        "description": "Compute cluster.",
    },
]

TYPES = [
    {
        "site": None,
        "name": "GPU server",
        "color": "#e15759",
        "description": "A whole multi-GPU machine.",
        "parameter_schema": [
            {
                "key": "os_image",
                "label": "OS image",
                "type": "choice",
                "required": True,
                "choices": ["ubuntu-24.04", "rocky-9"],
            },
            {"key": "purpose", "label": "Purpose", "type": "text", "required": False},
        ],
    },
    {
        "site": None,
        "name": "GPU",
        "color": "#f28e2b",
        "description": "One accelerator inside a server.",
        "parameter_schema": [{"key": "mig", "label": "Split into MIG slices", "type": "boolean"}],
    },
    {
        "site": "berlin",
        "name": "Microscope",
        "color": "#59a14f",
        "description": "Lab equipment booked with an operator.",
        "cleanup": timedelta(minutes=30),
        "min_notice": timedelta(hours=2),
        "requires_approval": True,
        "parameter_schema": [
            {
                "key": "sample_type",
                "label": "Sample type",
                "type": "choice",
                "required": True,
                "choices": ["cryo", "room temperature"],
            },
            {"key": "hours_of_training", "label": "Hours of training", "type": "number", "required": True},
        ],
    },
    {
        "site": "boston",
        "name": "Compute node",
        "color": "#4e79a7",
        "description": "A CPU node of the cluster.",
        "parameter_schema": [{"key": "jupyter", "label": "Start JupyterLab", "type": "boolean"}],
    },
]

A100 = {"gpu_model": "A100", "gpu_memory_gb": 80, "interconnect": "nvlink"}
H100 = {"gpu_model": "H100", "gpu_memory_gb": 94, "interconnect": "nvlink"}

# (site, type, name, parent, status, specs, attributes)
RESOURCES = [
    ("berlin", "GPU server", "dgx-01", None, "active", "8x A100 80GB, 2 TB RAM", {"gpus": 4, "rack": "R2"}),
    *[("berlin", "GPU", f"dgx-01-gpu{i}", "dgx-01", "active", "A100 80GB", {"index": i, **A100}) for i in range(4)],
    ("berlin", "Microscope", "Krios-1", None, "active", "Titan Krios G4 cryo-EM", {"room": "C-104"}),
    ("boston", "GPU server", "hgx-02", None, "active", "4x H100, 1 TB RAM", {"gpus": 2}),
    *[("boston", "GPU", f"hgx-02-gpu{i}", "hgx-02", "active", "H100 SXM", {"index": i, **H100}) for i in range(2)],
    ("boston", "Compute node", "cn-01", None, "active", "2x EPYC 9654, 768 GB", {}),
    ("boston", "Compute node", "cn-02", None, "unavailable", "2x EPYC 9654, 768 GB", {"note": "PSU failure"}),
]

# username, names, global administrator, {site slug: role}
USERS = [
    {"username": "admin", "first_name": "Ada", "last_name": "Admin", "superuser": True, "sites": {}},
    {"username": "siteadmin", "first_name": "Sam", "last_name": "Siteadmin", "sites": {"berlin": Role.ADMIN}},
    {"username": "user", "first_name": "Uma", "last_name": "User", "sites": {"berlin": Role.MEMBER}},
]


class Command(BaseCommand):
    help = "Load the demo sites, resource types, resources and users (idempotent)."

    def handle(self, *args, **options):
        with transaction.atomic():
            self._catalogue()
            logins = self._users()
            self._bookings()
        for username, password in logins.items():
            self.stdout.write(f"  {username:10} / {password}")

    def _catalogue(self) -> None:
        sites = {}
        for data in SITES:
            site = Site.objects.filter(slug=data["slug"]).first()
            sites[data["slug"]] = site or services.site_create(actor=None, **data)
        types = {}
        for data in TYPES:
            site = sites[data["site"]] if data["site"] else None
            existing = ResourceType.objects.filter(site=site, name=data["name"]).first()
            types[data["name"]] = existing or services.resource_type_create(actor=None, **{**data, "site": site})
        resources: dict[tuple[str, str], Resource] = {}
        for slug, type_name, name, parent, status, specs, attributes in RESOURCES:
            existing = Resource.objects.filter(site=sites[slug], name=name).first()
            resources[(slug, name)] = existing or services.resource_create(
                actor=None,
                site=sites[slug],
                resource_type=types[type_name],
                name=name,
                parent=resources[(slug, parent)] if parent else None,
                status=ResourceStatus(status),
                specs=specs,
                attributes=attributes,
                location=sites[slug].location,
            )

    def _bookings(self) -> None:
        """A few bookings so that the calendar is not empty on the first visit (first run only)."""
        if Reservation.objects.exists():
            return
        User = get_user_model()
        user, siteadmin = User.objects.get(username="user"), User.objects.get(username="siteadmin")
        berlin = Site.objects.get(slug="berlin")
        tz = zoneinfo.ZoneInfo(berlin.time_zone)
        tomorrow = timezone.now().astimezone(tz).date() + timedelta(days=1)

        def at(day, hour):
            return datetime.combine(day, time(hour), tzinfo=tz)

        gpu0 = Resource.objects.get(site=berlin, name="dgx-01-gpu0")
        server = Resource.objects.get(site=berlin, name="dgx-01")
        booking_services.reservation_create(
            actor=user, resource=gpu0, start=at(tomorrow, 9), end=at(tomorrow, 12), title="Fine-tuning run"
        )
        booking_services.reservation_create(
            actor=siteadmin,
            resource=server,
            start=at(tomorrow + timedelta(days=1), 14),
            end=at(tomorrow + timedelta(days=1), 18),
            title="Driver upgrade",
            parameters={"os_image": "ubuntu-24.04"},
        )
        booking_services.series_create(
            actor=user,
            resource=Resource.objects.get(site=berlin, name="dgx-01-gpu1"),
            start=at(tomorrow, 13),
            end=at(tomorrow, 14),
            rrule="FREQ=WEEKLY;COUNT=6",
            title="Weekly training",
        )
        leases.lease_create(
            actor=user,
            site=berlin,
            resource_type=gpu0.resource_type,
            count=2,
            where="gpu_model = A100, gpu_memory_gb >= 80",
            start=at(tomorrow + timedelta(days=7), 9),
            end=at(tomorrow + timedelta(days=7), 12),
            title="Two-GPU training",
        )

    def _users(self) -> dict[str, str]:
        path = settings.DATA_DIR / "demo-logins.json"
        saved = json.loads(path.read_text()) if path.exists() else {}
        User = get_user_model()
        for data in USERS:
            user, created = User.objects.get_or_create(
                username=data["username"],
                defaults={
                    "first_name": data["first_name"],
                    "last_name": data["last_name"],
                    "email": f"{data['username']}@example.org",
                    "is_staff": data.get("superuser", False),
                    "is_superuser": data.get("superuser", False),
                },
            )
            if created or data["username"] not in saved:
                saved[data["username"]] = secrets.token_urlsafe(9)
                user.set_password(saved[data["username"]])
                user.save(update_fields=["password"])
            if created or not user.memberships.exists():
                for slug, role in data["sites"].items():
                    account_services.membership_set(actor=None, site=Site.objects.get(slug=slug), user=user, role=role)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(saved, indent=2))
        path.chmod(0o600)
        return {data["username"]: saved[data["username"]] for data in USERS}
