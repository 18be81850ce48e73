from datetime import UTC

from django import forms
from django.utils import timezone

from common import names, times
from resources.parameters import ParameterType


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class WallClockField(forms.DateTimeField):
    """A date and time as read on the site's clocks (naive): the form places it in the zone of the
    chosen resource's site, whatever the viewer's own zone."""

    widget = DateTimeLocalInput
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]

    def to_python(self, value):
        with timezone.override(UTC):  # parse without moving the wall clock anywhere
            moment = super().to_python(value)
        return moment.replace(tzinfo=None) if moment else moment


REPEAT_CHOICES = [("", "Does not repeat"), ("DAILY", "Daily"), ("WEEKLY", "Weekly"), ("MONTHLY", "Monthly")]
WEEKDAYS = [("MO", "Mon"), ("TU", "Tue"), ("WE", "Wed"), ("TH", "Thu"), ("FR", "Fri"), ("SA", "Sat"), ("SU", "Sun")]
ENDS = [("count", "after a number of times"), ("until", "on a date")]


def add_choice_fields(form, choices) -> None:
    """The choices apps above the core offer (e.g. the project a booking is charged to)."""
    for choice, options, initial in choices:
        form.fields[choice.name] = forms.TypedChoiceField(
            label=choice.label, help_text=choice.help, required=False, coerce=int, empty_value=None,
            choices=[("", "Your default"), *options], initial=initial,
        )  # fmt: skip


class ReservationForm(forms.Form):
    """The booking form that works without JavaScript; times are on the clock of the resource's site."""

    resource = forms.ModelChoiceField(queryset=None)
    start = WallClockField()
    end = WallClockField()
    title = forms.CharField(max_length=200, required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    owner = forms.ModelChoiceField(queryset=None, required=False, label="Book for", empty_label="myself")
    replace_if_down = forms.BooleanField(
        required=False, label="If it fails, move my booking to another free one of the same type"
    )
    replace_where = forms.CharField(
        max_length=500,
        required=False,
        label="Only to one matching",
        help_text="An attribute filter, e.g. gpu_memory_gb >= 80. Empty: any of the type.",
    )
    repeat = forms.ChoiceField(choices=REPEAT_CHOICES, required=False)
    repeat_interval = forms.IntegerField(min_value=1, max_value=52, initial=1, required=False, label="Every")
    repeat_weekdays = forms.MultipleChoiceField(
        choices=WEEKDAYS, required=False, widget=forms.CheckboxSelectMultiple, label="On"
    )
    repeat_ends = forms.ChoiceField(
        choices=ENDS, initial="count", widget=forms.RadioSelect, label="Ends", required=False
    )
    repeat_count = forms.IntegerField(min_value=2, max_value=200, required=False, label="Number of occurrences")
    repeat_until = forms.DateField(required=False, label="Last day", widget=forms.DateInput(attrs={"type": "date"}))
    skip_conflicts = forms.BooleanField(required=False, label="Skip occurrences that are taken, book the others")

    REPEAT_FIELDS = (
        "repeat",
        "repeat_interval",
        "repeat_weekdays",
        "repeat_ends",
        "repeat_count",
        "repeat_until",
        "skip_conflicts",
    )

    def __init__(
        self, *args, resources, schema=None, with_repeat=True, owners=None, offers=None, choices=None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.fields["resource"].queryset = resources
        # Grouped by site and type, so that a long list reads like the catalogue.
        groups: dict[str, list] = {}
        for r in resources.order_by("site__name", "resource_type__name", "name"):
            offer = (offers or {}).get(r.pk)  # e.g. "training required": said before it is chosen
            label = f"{r.name} ({offer.note.lower()})" if offer else r.name
            groups.setdefault(f"{r.site.name} · {r.resource_type.name}", []).append((r.pk, label))
        self.fields["resource"].choices = [("", "Choose a resource"), *groups.items()]
        add_choice_fields(self, choices or ())
        self.schema = schema or []
        if owners is None:
            del self.fields["owner"]
        else:
            self.fields["owner"].queryset = owners
            self.fields["owner"].label_from_instance = names.person
        if not with_repeat:
            for name in self.REPEAT_FIELDS:
                del self.fields[name]
        for definition in self.schema:
            name = f"param_{definition['key']}"
            required = bool(definition.get("required"))
            kind = definition["type"]
            if kind == ParameterType.NUMBER:
                field = forms.FloatField(required=required)
            elif kind == ParameterType.BOOLEAN:
                field = forms.BooleanField(required=False)
            elif kind == ParameterType.CHOICE:
                field = forms.ChoiceField(
                    choices=[("", "Choose one" if required else "None")] + [(c, c) for c in definition["choices"]],
                    required=required,
                )
            else:
                field = forms.CharField(required=required)
            field.label = definition["label"]
            self.fields[name] = field

    def clean(self):
        cleaned = super().clean()
        resource = cleaned.get("resource")
        if resource is not None:
            where = times.site_zone(resource.site)
            for name in ("start", "end"):
                if cleaned.get(name) is not None:
                    try:
                        cleaned[name] = times.on_clock(cleaned[name], where)
                    except ValueError as exc:
                        self.add_error(name, str(exc))
        return cleaned

    def parameters(self) -> dict:
        values = {}
        for definition in self.schema:
            value = self.cleaned_data.get(f"param_{definition['key']}")
            if value in (None, ""):
                continue
            if definition["type"] == ParameterType.NUMBER and float(value).is_integer():
                value = int(value)
            values[definition["key"]] = value
        return values

    def rrule(self) -> str | None:
        """The RFC 5545 rule the repeat fields describe, or None for a single booking."""
        data = self.cleaned_data
        repeat = data.get("repeat")
        if not repeat:
            return None
        parts = [f"FREQ={repeat}"]
        if (data.get("repeat_interval") or 1) > 1:
            parts.append(f"INTERVAL={data['repeat_interval']}")
        if repeat == "WEEKLY" and data.get("repeat_weekdays"):
            parts.append("BYDAY=" + ",".join(data["repeat_weekdays"]))
        if data.get("repeat_ends") == "until" and data.get("repeat_until"):
            parts.append(f"UNTIL={data['repeat_until']:%Y%m%d}")  # the last day, on the site's clock
        else:
            parts.append(f"COUNT={data.get('repeat_count') or 2}")
        return ";".join(parts)


class ScheduleQuery(forms.Form):
    date = forms.DateField(required=False)
    days = forms.TypedChoiceField(choices=[(1, "day"), (7, "week")], coerce=int, required=False, initial=1)
    format = forms.ChoiceField(choices=[("html", "page"), ("csv", "CSV")], required=False, initial="html")


class TimelineQuery(forms.Form):
    date = forms.DateField(required=False)
    days = forms.IntegerField(required=False, min_value=1, max_value=31, initial=7)
    view = forms.ChoiceField(choices=[("day", "day"), ("week", "week"), ("month", "month")], required=False)
    by = forms.ChoiceField(choices=[("type", "type"), ("use", "use")], required=False)

    ZOOM = {"day": 1, "week": 7, "month": 31}
