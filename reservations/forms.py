from datetime import UTC

from django import forms
from django.utils import timezone

from common import times
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


class ReservationForm(forms.Form):
    """The booking form that works without JavaScript; times are on the clock of the resource's site."""

    resource = forms.ModelChoiceField(queryset=None)
    start = WallClockField()
    end = WallClockField()
    title = forms.CharField(max_length=200, required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    repeat = forms.ChoiceField(choices=REPEAT_CHOICES, required=False)
    repeat_count = forms.IntegerField(min_value=2, max_value=200, required=False, label="Number of occurrences")

    def __init__(self, *args, resources, schema=None, with_repeat=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resource"].queryset = resources
        self.fields["resource"].label_from_instance = lambda r: f"{r.name} · {r.site.name} ({r.site.time_zone})"
        self.schema = schema or []
        if not with_repeat:
            del self.fields["repeat"], self.fields["repeat_count"]
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
                    choices=[("", "---")] + [(c, c) for c in definition["choices"]], required=required
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
        repeat = self.cleaned_data.get("repeat")
        if not repeat:
            return None
        count = self.cleaned_data.get("repeat_count") or 2
        return f"FREQ={repeat};COUNT={count}"


class TimelineQuery(forms.Form):
    date = forms.DateField(required=False)
    days = forms.IntegerField(required=False, min_value=1, max_value=31, initial=7)
