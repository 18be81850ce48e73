"""The "find and book" form: which machines, how many, how long, and when to look."""

from datetime import timedelta

from django import forms

from common import times
from common.web.forms import readable_choices
from reservations.leases import search as lease_search

from .bookings import WallClockField, add_choice_fields


class LeaseSearchForm(forms.Form):
    """Times are on the clock of the chosen site."""

    site = forms.ModelChoiceField(queryset=None)
    resource_type = forms.ModelChoiceField(queryset=None, label="Type")
    where = forms.CharField(
        max_length=500,
        required=False,
        label="Attributes",
        help_text="e.g. gpu_model = A100, gpu_memory_gb >= 80, interconnect in (nvlink, infiniband)",
    )
    count = forms.IntegerField(min_value=1, max_value=lease_search.MAX_COUNT, initial=2, label="How many")
    hours = forms.DecimalField(
        min_value=0.25, max_value=24 * 92, decimal_places=2, initial=8, label="For how many hours"
    )
    window_start = WallClockField(label="Earliest start")
    window_end = WallClockField(label="Latest end")
    title = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, sites, types, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites
        self.fields["resource_type"].queryset = types
        add_choice_fields(self, choices)
        readable_choices(self)
        self.fields["hours"].widget.attrs["step"] = "0.25"

    def clean(self):
        cleaned = super().clean()
        site = cleaned.get("site")
        if site is not None:
            where = times.site_zone(site)
            for name in ("window_start", "window_end"):
                if cleaned.get(name) is not None:
                    try:
                        cleaned[name] = times.on_clock(cleaned[name], where)
                    except ValueError as exc:
                        self.add_error(name, str(exc))
        if cleaned.get("hours") is not None:
            cleaned["duration"] = timedelta(minutes=round(float(cleaned["hours"]) * 60))
        return cleaned


class LeaseMoveForm(forms.Form):
    start = WallClockField()
    end = WallClockField()

    def __init__(self, *args, zone, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone

    def clean(self):
        cleaned = super().clean()
        for name in ("start", "end"):
            if cleaned.get(name) is not None:
                try:
                    cleaned[name] = times.on_clock(cleaned[name], self.zone)
                except ValueError as exc:
                    self.add_error(name, str(exc))
        return cleaned
