from celery import shared_task

from .oidc import sync


@shared_task(ignore_result=True)
def sync_with_provider() -> dict[str, int]:
    return sync.check_due()
