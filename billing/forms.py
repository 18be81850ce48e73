"""The usage report's query: a span of months, narrowed by site, type and project."""

from django import forms
from django.utils import timezone

from common.web.forms import readable_choices

from .periods import MONTH
from .selectors import zone


def _this_month() -> str:
    return f"{timezone.now().astimezone(zone()):%Y-%m}"


def _january() -> str:
    return f"{timezone.now().astimezone(zone()):%Y}-01"


class UsageQueryForm(forms.Form):
    first = forms.RegexField(
        MONTH,
        required=False,
        label="From",
        initial=_january,
        widget=forms.TextInput(attrs={"type": "month"}),
        error_messages={"invalid": "YYYY-MM"},
    )
    last = forms.RegexField(
        MONTH,
        required=False,
        label="To",
        initial=_this_month,
        widget=forms.TextInput(attrs={"type": "month"}),
        error_messages={"invalid": "YYYY-MM"},
    )
    site = forms.ModelChoiceField(queryset=None, required=False)
    resource_type = forms.ModelChoiceField(queryset=None, required=False, label="Type")
    project = forms.ModelChoiceField(queryset=None, required=False)
    format = forms.ChoiceField(choices=[("html", "page"), ("csv", "CSV")], required=False, initial="html")

    def __init__(self, *args, sites, types, projects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites
        self.fields["resource_type"].queryset = types
        self.fields["project"].queryset = projects
        readable_choices(self)

    def clean(self):
        cleaned = super().clean()
        cleaned["first"] = cleaned.get("first") or self.fields["first"].initial()
        cleaned["last"] = cleaned.get("last") or self.fields["last"].initial()
        return cleaned
