from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def warn_expiring_qualifications() -> int:
    return services.warn_expiring() + services.warn_lapsing()
