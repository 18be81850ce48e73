from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts import services


class Command(BaseCommand):
    help = "Create a personal API token for USERNAME and print only the token (for scripts and Ansible)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="created with manage.py api_token")
        parser.add_argument("--expires-in-days", type=int, default=None)

    def handle(self, *args, username: str, name: str, expires_in_days: int | None, **options):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user '{username}'.")
        expires_at = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
        _, secret = services.api_token_create(actor=user, user=user, name=name, expires_at=expires_at)
        self.stdout.write(secret)
