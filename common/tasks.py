from celery import shared_task

from common.api.idempotency import forget_expired


@shared_task(ignore_result=True)
def forget_idempotent_answers() -> int:
    """Beat: answers kept for Idempotency-Key retries are dropped after 24 hours."""
    return forget_expired()
