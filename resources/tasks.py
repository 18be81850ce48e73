from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def start_due_drains() -> int:
    """Beat: resources whose drain moment came go into maintenance."""
    return services.drains_due()
