import pytest
from django.core.exceptions import ValidationError

from registry.kinds import canonical


@pytest.mark.parametrize(
    ("kind", "given", "stored"),
    [
        ("port", "08000", "8000"),
        ("port", " 443 ", "443"),
        ("ip_address", "2001:DB8:0:0::1", "2001:db8::1"),
        ("ip_address", "10.0.0.1", "10.0.0.1"),
        ("ip_range", "10.20.0.0/24", "10.20.0.0/24"),
        ("directory", "/srv//app/./data/", "/srv/app/data"),
        ("log_path", "/var/log/app/../web.log", "/var/log/web.log"),
        ("database", "Billing_DB", "billing_db"),
        ("db_user", "svc$1", "svc$1"),
        ("domain", "Bücher.Example.ORG.", "xn--bcher-kva.example.org"),
        ("redis_db", "07", "7"),
        ("cron_job", "0  3 * * *   /usr/local/bin/backup --all", "0 3 * * * /usr/local/bin/backup --all"),
        ("systemd", "web@1.service", "web@1.service"),
        ("user", "deploy-bot", "deploy-bot"),
        ("env_var", "DATABASE_URL", "DATABASE_URL"),
        ("secret", "vault:kv/billing/db", "vault:kv/billing/db"),
    ],
)
def test_canonical_forms(kind, given, stored):
    assert canonical(kind, given) == stored


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("port", "0", "1 to 65535"),
        ("port", "65536", "1 to 65535"),
        ("port", "http", "1 to 65535"),
        ("ip_address", "10.0.0.256", "not an IPv4 or IPv6"),
        ("ip_range", "10.0.0.1/24", "host bits zero"),
        ("directory", "srv/app", "absolute path"),
        ("database", "1table", "PostgreSQL identifier"),
        ("database", '"Quoted"', "Quoted identifiers"),
        ("domain", "-bad.example.org", "not a valid domain"),
        ("domain", "localhost", "not a valid domain"),
        ("redis_db", "16", "0 to 15"),
        ("cron_job", "61 * * * * cmd", "outside 0-59"),
        ("cron_job", "* * * *", "5 schedule fields"),
        ("systemd", "web", "with its type"),
        ("user", "Root", "POSIX user"),
        ("env_var", "path", "uppercase"),
        ("nonsense", "x", "Unknown type"),
    ],
)
def test_invalid_values_are_explained(kind, value, message):
    with pytest.raises(ValidationError) as exc:
        canonical(kind, value)
    assert message in " ".join(exc.value.messages)
