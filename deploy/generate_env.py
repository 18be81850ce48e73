#!/usr/bin/env python3
"""Write .env (secrets for docker compose) and deploy/keycloak/realm.json (the realm with the
generated client secret and demo passwords). Standard library only; run once, keep both private.

    python3 deploy/generate_env.py [--force]
"""

import argparse
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "keycloak" / "realm.template.json"
REALM = ROOT / "deploy" / "keycloak" / "realm.json"
ENV = ROOT / ".env"


def generate() -> dict[str, str]:
    return {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "localhost,127.0.0.1,web",
        "CSRF_TRUSTED_ORIGINS": "http://localhost:8000",
        "SITE_URL": "http://localhost:8000",
        "POSTGRES_PASSWORD": secrets.token_urlsafe(24),
        "KEYCLOAK_ADMIN_PASSWORD": secrets.token_urlsafe(18),
        "OIDC_RP_CLIENT_ID": "reservoir",
        "OIDC_RP_CLIENT_SECRET": secrets.token_urlsafe(32),
        "METRICS_TOKEN": secrets.token_urlsafe(24),
        "DEMO_ADMIN_PASSWORD": secrets.token_urlsafe(12),
        "DEMO_SITEADMIN_PASSWORD": secrets.token_urlsafe(12),
        "DEMO_USER_PASSWORD": secrets.token_urlsafe(12),
    }


def render_realm(values: dict[str, str]) -> str:
    text = TEMPLATE.read_text()
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    if "{{" in text:
        raise SystemExit("realm.template.json has a placeholder this script does not fill.")
    return text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--force", action="store_true", help="overwrite existing files")
    args = parser.parse_args(argv)
    if (ENV.exists() or REALM.exists()) and not args.force:
        print(f"{ENV} or {REALM} exists; use --force to replace them (and lose the old secrets).", file=sys.stderr)
        return 1
    values = generate()
    ENV.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    ENV.chmod(0o600)
    REALM.write_text(render_realm(values))
    REALM.chmod(0o600)
    print(
        f"Wrote {ENV} and {REALM}. Demo logins (Keycloak): admin / {values['DEMO_ADMIN_PASSWORD']}, "
        f"siteadmin / {values['DEMO_SITEADMIN_PASSWORD']}, user / {values['DEMO_USER_PASSWORD']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
