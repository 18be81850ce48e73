from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.oidc import sync


class Command(BaseCommand):
    help = (
        "Asks the identity provider about SSO users (beat runs this every minute as 'oidc-sync'): "
        "users it disabled or removed lose sessions and API tokens, the others get their current roles."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", help="Check this username now, whenever it was last checked.")
        parser.add_argument("--limit", type=int, help="At most this many due users (default OIDC_SYNC_BATCH).")

    def handle(self, *args, user=None, limit=None, **options):
        if not settings.OIDC_ENABLED:
            raise CommandError("Single sign-on is not configured (OIDC_ISSUER).")
        if user:
            found = get_user_model().objects.filter(username=user).first()
            if found is None:
                raise CommandError(f"No user {user!r}.")
            result = sync.check_user(found)
            self.stdout.write(f"{user}: {result or 'no provider grant (never signed in with SSO since it is kept)'}")
            return
        results = sync.check_due(limit=limit)
        self.stdout.write(", ".join(f"{count} {what}" for what, count in results.items()))
