import json

from django import forms

from common.web.forms import readable_choices

from .models import EVENT_TYPES, ScopeKind, Webhook


class WebhookForm(forms.Form):
    site = forms.ModelChoiceField(queryset=None)
    name = forms.CharField(max_length=100)
    url = forms.URLField(max_length=500, label="URL", assume_scheme="https")
    enabled = forms.BooleanField(required=False, initial=True)
    event_types = forms.MultipleChoiceField(
        choices=[(t, t) for t in EVENT_TYPES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None checked: every event type.",
    )
    scope = forms.ChoiceField(choices=ScopeKind.choices)
    resource_type = forms.ModelChoiceField(queryset=None, required=False)
    resource = forms.ModelChoiceField(queryset=None, required=False)
    timeout_seconds = Webhook._meta.get_field("timeout_seconds").formfield()
    headers = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text='JSON, e.g. {"X-Api-Key": "..."}'
    )
    legacy_signature = forms.BooleanField(required=False, label="Also send X-Webhook-Signature")

    def __init__(self, *args, sites, resource_types, resources, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites
        self.fields["resource_type"].queryset = resource_types
        self.fields["resource"].queryset = resources
        readable_choices(self)

    def clean_headers(self):
        text = self.cleaned_data.get("headers") or "{}"
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError("Not valid JSON.") from exc
        return value
