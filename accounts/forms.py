from django import forms
from django.contrib.auth import get_user_model

from .models import Profile, Role

User = get_user_model()


class ProfileForm(forms.Form):
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False)
    time_zone = forms.CharField(max_length=64, help_text="IANA name, e.g. Europe/Berlin.")
    email_notifications = forms.BooleanField(required=False, label="Also send my notifications by email")
    reminder_minutes = Profile._meta.get_field("reminder_minutes").formfield(
        required=False, label="Remind me this many minutes before a booking starts"
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
