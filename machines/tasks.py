from celery import shared_task

from . import services


@shared_task
def prune_usage_samples() -> int:
    return services.usage_samples_prune()
