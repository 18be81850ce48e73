from celery import shared_task

from . import chain


@shared_task(ignore_result=True)
def seal_audit_chain() -> int:
    return chain.seal()
