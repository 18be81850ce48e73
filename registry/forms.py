from django import forms

from common.web.forms import readable_choices

from .kinds import Kind


class AllocationForm(forms.Form):
    site = forms.ModelChoiceField(queryset=None)
    resource_type = forms.ChoiceField(choices=Kind.choices, label="Type")
    resource_value = forms.CharField(max_length=500, label="Value")
    environment = forms.SlugField(initial="production")
    resource_name = forms.CharField(max_length=200, label="What it is for")
    owner_service = forms.CharField(max_length=100, label="Service")
    server_hostname = forms.CharField(max_length=253, required=False, label="Server")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites
        readable_choices(self)


class FindPortsForm(forms.Form):
    start_port = forms.IntegerField(min_value=1, max_value=65535, initial=8000)
    end_port = forms.IntegerField(min_value=1, max_value=65535, initial=9000)
    count = forms.IntegerField(min_value=1, max_value=1000, initial=5)
    environment = forms.SlugField(initial="production")


class AllocationEditForm(forms.Form):
    resource_name = forms.CharField(max_length=200, label="What it is for")
    assigned_to = forms.CharField(max_length=150, required=False)
    server_hostname = forms.CharField(max_length=253, required=False, label="Server")
    expires_at = forms.DateTimeField(required=False, help_text="e.g. 2027-03-31 18:00 (your time zone)")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
