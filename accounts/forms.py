import zoneinfo

from django import forms
from django.contrib.auth import get_user_model
from django.utils.html import format_html, format_html_join

from common.web.forms import readable_choices
from tenancy.models import Role

from .models import Profile

User = get_user_model()


TIME_ZONES = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})


class ZoneInput(forms.TextInput):
    """A text box that suggests IANA zones as you type (a datalist), so there is no list of 600 to scroll."""

    def render(self, name, value, attrs=None, renderer=None):
        box = super().render(name, value, {**(attrs or {}), "list": f"{name}-zones", "autocomplete": "off"}, renderer)
        options = format_html_join("", '<option value="{}">', ((zone,) for zone in TIME_ZONES))
        return format_html('{}<datalist id="{}-zones">{}</datalist>', box, name, options)


class ProfileForm(forms.Form):
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False)
    time_zone = forms.ChoiceField(
        choices=[("", "---"), *((name, name) for name in TIME_ZONES)],
        required=False,
        widget=ZoneInput,
        error_messages={"invalid_choice": "%(value)s is not an IANA time zone (for example Europe/Berlin or UTC)."},
        help_text="Type to search, e.g. Berlin. Bookings show their site's time and, beside it, yours.",
    )
    email_notifications = forms.BooleanField(required=False, label="Also send my notifications by email")
    reminder_minutes = Profile._meta.get_field("reminder_minutes").formfield(
        required=False,
        label="Reminder (minutes before a booking starts)",
        help_text="At most 1440 (a day).",
    )


class SshKeyForm(forms.Form):
    label = forms.CharField(max_length=100, required=False, help_text="Defaults to the key's comment.")
    public_key = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 80}), label="Public key")


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100)
    expires_at = forms.DateTimeField(required=False, label="Expires (optional)", help_text="e.g. 2027-01-31 18:00")


class MembershipForm(forms.Form):
    site = forms.ModelChoiceField(queryset=None)
    role = forms.ChoiceField(choices=Role.choices)

    def __init__(self, *args, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites
        readable_choices(self)
