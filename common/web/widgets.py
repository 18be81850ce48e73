from django import forms


class ChoicesDropdown(forms.CheckboxSelectMultiple):
    """Several choices in a closed control as high as an input (Pico's dropdown of checkboxes): the
    summary names what is chosen, "any" when nothing is. A native multi-select box is four rows tall,
    needs Ctrl-click and breaks a filter row."""

    template_name = "forms/choices_dropdown.html"
    label = ""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        chosen = [str(label) for key, label in self.choices if str(key) in {str(v) for v in value or ()}]
        context["widget"]["summary"] = ", ".join(chosen) or "any"
        context["widget"]["label"] = self.label
        return context
