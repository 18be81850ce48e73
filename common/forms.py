from django.core.exceptions import ValidationError

from common.exceptions import DomainError


def run_form_service(form, call) -> bool:
    """Call a service with a valid form; put its field errors on the form. True on success."""
    if not form.is_valid():
        return False
    try:
        call(form.cleaned_data)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc.messages)
        return False
    except DomainError as exc:
        if exc.status_code == 403:
            raise
        form.add_error(None, exc.message)
        return False
    return True
