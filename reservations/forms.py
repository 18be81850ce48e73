from django import forms

from resources.parameters import ParameterType


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


REPEAT_CHOICES = [("", "Does not repeat"), ("DAILY", "Daily"), ("WEEKLY", "Weekly"), ("MONTHLY", "Monthly")]


class ReservationForm(forms.Form):
    """The booking form that works without JavaScript; times are in your profile's time zone."""

    resource = forms.ModelChoiceField(queryset=None)
    start = forms.DateTimeField(widget=DateTimeLocalInput(), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    end = forms.DateTimeField(widget=DateTimeLocalInput(), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    title = forms.CharField(max_length=200, required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    repeat = forms.ChoiceField(choices=REPEAT_CHOICES, required=False)
    repeat_count = forms.IntegerField(min_value=2, max_value=200, required=False, label="Number of occurrences")

    def __init__(self, *args, resources, schema=None, with_repeat=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resource"].queryset = resources
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
