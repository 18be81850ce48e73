"""The question a utilization report answers: which days, which sites, which resource type."""

from datetime import date, timedelta

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone

from resources.models import ResourceType
from tenancy.access import administered_site_ids, scope_to_sites, scope_to_sites_or_global
from tenancy.models import Site

MAX_DAYS = 366


def default_period(today: date | None = None) -> tuple[date, date]:
    """Four weeks around today: what was used lately and what is booked ahead."""
    today = today or timezone.localdate()
    return today - timedelta(days=13), today + timedelta(days=14)


EARLIEST, LATEST = date(1900, 1, 1), date(9000, 12, 31)


class UtilizationQueryForm(forms.Form):
    # Bounded, so that the default period around a date never leaves what Python's dates hold.
    start = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="First day (YYYY-MM-DD), in each site's time zone.",
        validators=[MinValueValidator(EARLIEST), MaxValueValidator(LATEST)],
    )
    end = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Last day, included.",
        validators=[MinValueValidator(EARLIEST), MaxValueValidator(LATEST)],
    )
    site = forms.ModelChoiceField(queryset=Site.objects.none(), required=False, to_field_name="slug")
    resource_type = forms.ModelChoiceField(queryset=ResourceType.objects.none(), required=False)

    def __init__(self, data=None, *, user):
        super().__init__(data)
        sites = administered_site_ids(user)
        self.fields["site"].queryset = scope_to_sites(Site.objects.order_by("name"), sites, "id")
        self.fields["resource_type"].queryset = scope_to_sites_or_global(ResourceType.objects.order_by("name"), sites)
        self.fields["site"].empty_label = "All my sites"
        self.fields["resource_type"].empty_label = "All types"
        self.fields["site"].error_messages["invalid_choice"] = "No such site among those you administer."
        self.fields["resource_type"].error_messages["invalid_choice"] = "No such resource type at your sites."

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        start, end = data.get("start"), data.get("end")
        if start is None and end is None:
            start, end = default_period()
        data["start"] = start or end - timedelta(days=27)
        data["end"] = end or start + timedelta(days=27)
        if data["end"] < data["start"]:
            self.add_error("end", "The last day must not be before the first day.")
        elif (data["end"] - data["start"]).days + 1 > MAX_DAYS:
            self.add_error("end", f"A report covers at most {MAX_DAYS} days.")
        return data
