"""For a bench that measures in its own process: the production settings (DEBUG=0, a real secret
key, warnings-only logs), as the image runs them. Call before django.setup()."""

import os


def use_production_settings() -> None:
    os.environ.update(
        DEBUG="0",
        SECRET_KEY=os.environ.get("SECRET_KEY") or "bench-" + "x" * 50,
        ALLOWED_HOSTS="testserver,127.0.0.1",
        SECURE_SSL_REDIRECT="0",  # plain HTTP on loopback
        SECURE_COOKIES="0",
        LOG_LEVEL="WARNING",
    )


def collect_static() -> None:
    """Pages on the production settings name their files through the manifest `collectstatic`
    writes (the image runs it when it is built); a bench that renders pages runs it first."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
