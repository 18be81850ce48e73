from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import DjangoTemplates
from django.utils.dateparse import parse_datetime

from common.errors import NON_FIELD, REFUSALS, refusal_for


def run_form_service(form, call) -> bool:
    """Call a service with a valid form; put its refusal on the form (field messages on their
    fields). True on success. Refusals for lack of rights propagate to the 403 page."""
    if not form.is_valid():
        return False
    try:
        call(form.cleaned_data)
    except REFUSALS as exc:
        if refusal_for(exc).status == 403:
            raise
        add_refusal(form, exc)
        return False
    return True


def add_refusal(form, exc) -> None:
    """A service's refusal as the form's errors: field messages on their fields, the rest on top."""
    refusal = refusal_for(exc)
    if not refusal.errors:
        form.add_error(None, refusal.message)
    for name, messages in refusal.errors.items():
        form.add_error(name if name in form.fields and name != NON_FIELD else None, messages)


def read_query(request, form_class) -> dict:
    """A page's query string read through a form: a malformed value is a ValidationError (a 400
    page naming the parameter), never a crash. Blank or absent values take the field's initial."""
    form = form_class(request.GET)
    if not form.is_valid():
        raise ValidationError(
            {name: [f"{name}: {message}" for message in messages] for name, messages in form.errors.items()}
        )
    return {
        name: form.fields[name].initial if value in (None, "") else value for name, value in form.cleaned_data.items()
    }


def object_id(value) -> int | None:
    """An id from a query string, a form or a filter, or None when it is not a whole number that a
    bigint primary key can hold (so that no lookup overflows in PostgreSQL)."""
    try:
        number = int(str(value or ""))
    except ValueError:
        return None
    return number if 0 < number < 2**63 else None


def aware_moment(value) -> datetime | None:
    """A date and time with its offset from a form or query string (ISO 8601), or None when it is
    missing, malformed or has no offset (a naive time would be guessed in some zone)."""
    try:
        moment = parse_datetime(str(value or ""))
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def run_service(request, call) -> bool:
    """A page action without a form (a button): the service's refusal becomes an error message on
    the next page. True on success. Refusals for lack of rights propagate to the 403 page."""
    from django.contrib import messages

    try:
        call()
    except REFUSALS as exc:
        refusal = refusal_for(exc)
        if refusal.status == 403:
            raise
        messages.error(request, refusal.message)
        return False
    return True


def readable_choices(form) -> None:
    """No Django "---------" in a select. A required choice with a single option is chosen for the
    person (one site: that site); otherwise the empty option asks ("Choose a site") or, for an
    optional one, says that nothing is chosen ("Any type"). Call after the querysets are set."""
    for name, field in form.fields.items():
        if not isinstance(field, forms.ModelChoiceField) or field.empty_label != "---------":
            continue  # a field that named its empty choice ("myself") keeps it
        label = str(field.label or name.replace("_", " ")).lower()
        if not field.required:
            field.empty_label = f"Any {label}"
            continue
        field.empty_label = f"Choose {label}"
        if not form.is_bound and not form.initial.get(name) and field.queryset is not None:
            only = list(field.queryset[:2])
            if len(only) == 1:
                form.initial[name] = only[0].pk
                field.empty_label = None


class FormRenderer(DjangoTemplates):
    """`{{ form }}` renders every form in one layout (common/templates/forms/fields.html), the
    booking form's: the label above its input without a colon, a checkbox beside its label."""

    form_template_name = "forms/fields.html"
