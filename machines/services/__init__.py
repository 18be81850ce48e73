"""Every write of the machines app: tokens, and the use the agents report."""

from .policies import usage_policy_save
from .tokens import machine_token_create, machine_token_revoke
from .usage import usage_record, usage_samples_prune

__all__ = ["machine_token_create", "machine_token_revoke", "usage_policy_save", "usage_record", "usage_samples_prune"]
