"""The delivery task as the domain side hands work to it: by name, so that the outbox and the sender,
which the task itself calls, need not import the tasks module (routes and retries still apply)."""

from celery import signature

DELIVER = signature("webhooks.tasks.deliver")
