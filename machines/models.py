from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class MachineToken(models.Model):
    """The credential of the agent on one machine. Only a SHA-256 digest of the secret is stored;
    it reads that machine's state and nothing else."""

    resource = models.ForeignKey("resources.Resource", on_delete=models.CASCADE, related_name="machine_tokens")
    name = models.CharField(max_length=100, help_text="Where it is installed, e.g. the host name.")
    prefix = models.CharField(max_length=16, help_text="The first characters, to recognise a token.")
    digest = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_seen_at = models.DateTimeField(null=True, blank=True, help_text="When the agent last read its state.")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.name} on {self.resource} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None


class AtEnd(models.TextChoices):
    END = "end", "End the holder's sessions and processes"
    WARN = "warn", "Only warn them"


class UsagePolicy(models.Model):
    """What the agents on machines of one resource type do with the bookings and the use they see.
    Without a row: sessions are ended at the end, and every other policy is off."""

    resource_type = models.OneToOneField(
        "resources.ResourceType", on_delete=models.CASCADE, related_name="usage_policy", primary_key=True
    )
    at_end = models.CharField(max_length=8, choices=AtEnd.choices, default=AtEnd.END)
    warn_minutes = models.PositiveSmallIntegerField(
        default=10,
        validators=[MaxValueValidator(24 * 60)],
        help_text="The holder's terminals are warned this many minutes before the end; 0: no warning.",
    )
    auto_checkin = models.BooleanField(
        default=False, help_text="The holder's first login on the machine checks the booking in."
    )
    idle_reclaim = models.BooleanField(
        default=False, help_text="A running booking whose machine is idle is warned, then ended early."
    )
    idle_minutes = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
        help_text="Idle for this long (no holder logged in, every GPU below the threshold): warn.",
    )
    idle_gpu_percent = models.PositiveSmallIntegerField(
        default=5, validators=[MaxValueValidator(100)], help_text="A GPU busier than this (per cent) counts as use."
    )
    idle_grace_minutes = models.PositiveSmallIntegerField(
        default=15,
        validators=[MaxValueValidator(24 * 60)],
        help_text="After the warning, still idle for this long: the booking ends and its time is freed.",
    )
    report_unreserved = models.BooleanField(
        default=False,
        help_text="Processes of people who hold no booking are audited, reported to the site's administrators "
        "and sent as the machine.unreserved_use webhook event.",
    )

    class Meta:
        verbose_name_plural = "usage policies"
        constraints = [
            models.CheckConstraint(condition=models.Q(idle_minutes__gte=1), name="usage_policy_idle_minutes"),
            models.CheckConstraint(condition=models.Q(idle_gpu_percent__lte=100), name="usage_policy_gpu_percent"),
        ]

    def __str__(self) -> str:
        return f"Usage policy of {self.resource_type}"


class UsageSample(models.Model):
    """One minute of a machine as its agent saw it."""

    resource = models.ForeignKey("resources.Resource", on_delete=models.CASCADE, related_name="usage_samples")
    token = models.ForeignKey(MachineToken, on_delete=models.SET_NULL, null=True, related_name="+")
    taken_at = models.DateTimeField()
    interval = models.DurationField(help_text="The time this sample stands for.")
    logged_in = models.JSONField(default=list, help_text="Local accounts with a session.")
    load = models.FloatField(help_text="Load average over one minute.")
    gpus = models.JSONField(default=list, help_text="Per GPU: index, name, utilisation (%), memory used and total.")
    foreign = models.JSONField(default=list, help_text="Processes of local users who hold no booking, per user.")

    class Meta:
        ordering = ["-taken_at"]
        indexes = [models.Index(fields=["resource", "-taken_at"]), models.Index(fields=["taken_at"])]

    def __str__(self) -> str:
        return f"{self.resource} at {self.taken_at:%Y-%m-%d %H:%M}"

    @property
    def gpu_busy(self) -> float:
        return max((g.get("utilization", 0) for g in self.gpus), default=0)


class BookingUsage(models.Model):
    """What a booking's time was used for, summed from its machine's samples."""

    reservation = models.OneToOneField(
        "reservations.Reservation", on_delete=models.CASCADE, related_name="usage", primary_key=True
    )
    first_login_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    sampled = models.DurationField(default=timedelta(0), help_text="Time covered by samples.")
    active = models.DurationField(default=timedelta(0), help_text="Of which a holder was logged in or a GPU busy.")
    gpu_hours_used = models.FloatField(default=0, help_text="Sum over GPUs of utilisation times time.")
    gpus = models.PositiveSmallIntegerField(default=0, help_text="GPUs the machine reported.")
    idle_since = models.DateTimeField(null=True, blank=True)
    idle_warned_at = models.DateTimeField(null=True, blank=True)
    idle_warned_end = models.DateTimeField(null=True, blank=True, help_text="The booking's end when it was warned.")

    class Meta:
        verbose_name_plural = "booking usage"

    def __str__(self) -> str:
        return f"Use of booking {self.reservation_id}"

    @property
    def idle_share(self) -> float | None:
        return None if not self.sampled else round(1 - self.active / self.sampled, 3)

    @property
    def active_share(self) -> float | None:
        return None if not self.sampled else round(self.active / self.sampled, 3)

    @property
    def active_percent(self) -> int | None:
        return None if self.active_share is None else round(self.active_share * 100)

    @property
    def idle_percent(self) -> int | None:
        return None if self.idle_share is None else round(self.idle_share * 100)

    @property
    def active_hours(self) -> float:
        return self.active.total_seconds() / 3600

    @property
    def sampled_hours(self) -> float:
        return self.sampled.total_seconds() / 3600

    @property
    def booked_hours(self) -> float:
        return (self.reservation.end - self.reservation.start).total_seconds() / 3600

    @property
    def gpu_hours_booked(self) -> float:
        booking = self.reservation
        return round(self.gpus * (booking.end - booking.start).total_seconds() / 3600, 3)
