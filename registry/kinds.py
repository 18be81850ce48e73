"""Each kind of system allocation: how a value is validated and written canonically, so that two
spellings of one thing ("08000" and "8000", "/srv//app/" and "/srv/app") collide."""

import ipaddress
import posixpath
import re

from django.core.exceptions import ValidationError
from django.db import models


class Kind(models.TextChoices):
    PORT = "port", "Port"
    IP_ADDRESS = "ip_address", "IP address"
    IP_RANGE = "ip_range", "IP range (CIDR)"
    DIRECTORY = "directory", "Directory"
    TMPFS = "tmpfs", "tmpfs mount"
    BACKUP_PATH = "backup_path", "Backup path"
    LOG_PATH = "log_path", "Log path"
    SOCKET = "socket", "Unix socket"
    DATABASE = "database", "Database"
    DB_USER = "db_user", "Database user"
    SYSTEMD = "systemd", "systemd unit"
    DOMAIN = "domain", "Domain"
    SSL_CERT = "ssl_cert", "TLS certificate path"
    NGINX_CONF = "nginx_conf", "nginx configuration path"
    REDIS_DB = "redis_db", "Redis database number"
    CRON_JOB = "cron_job", "Cron job"
    USER = "user", "POSIX user"
    ENV_VAR = "env_var", "Environment variable"
    SECRET = "secret", "Secret (identifier only)"


PATH_KINDS = {Kind.DIRECTORY, Kind.TMPFS, Kind.BACKUP_PATH, Kind.LOG_PATH, Kind.SOCKET, Kind.SSL_CERT, Kind.NGINX_CONF}
NETWORK_KINDS = {Kind.IP_ADDRESS, Kind.IP_RANGE}
REDIS_DB_COUNT = 16

_PG_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_$]{0,62}$")
_POSIX_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
_SYSTEMD_UNIT = re.compile(
    r"^[A-Za-z0-9:_.\\-]+(@[A-Za-z0-9:_.\\-]*)?\.(service|socket|timer|mount|path|target|slice|scope|automount|swap|device)$"
)
_ENV_VAR = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_SECRET_NAME = re.compile(r"^[A-Za-z0-9_.:/-]{1,200}$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_CRON_FIELD = re.compile(r"^(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*$")
_CRON_RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]
_CRON_NAMES = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly", "@reboot"}


def _port(value: str) -> str:
    text = str(value).strip()
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ValidationError("A port is a whole number from 1 to 65535.")
    return str(int(text))


def _ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(str(value).strip()))
    except ValueError as exc:
        raise ValidationError(f"'{value}' is not an IPv4 or IPv6 address.") from exc


def _cidr(value: str) -> str:
    try:
        return str(ipaddress.ip_network(str(value).strip(), strict=True))
    except ValueError as exc:
        raise ValidationError(
            f"'{value}' is not a network in CIDR form with host bits zero (e.g. 10.0.0.0/24)."
        ) from exc


def _path(value: str) -> str:
    text = str(value).strip()
    if not text.startswith("/"):
        raise ValidationError("Give an absolute path (starting with /).")
    if "\x00" in text or len(text) > 4096:
        raise ValidationError("Not a valid path.")
    normalized = posixpath.normpath(text)
    if normalized.startswith("//"):
        normalized = "/" + normalized.lstrip("/")
    return normalized


def _pg_identifier(value: str) -> str:
    text = str(value).strip()
    if text.startswith('"') and text.endswith('"') and len(text) > 2:
        raise ValidationError("Quoted identifiers are not accepted; use lowercase letters, digits and _.")
    lowered = text.lower()
    if not _PG_IDENTIFIER.match(lowered):
        raise ValidationError("Use a PostgreSQL identifier: a letter or _, then letters, digits, _ or $ (63 at most).")
    return lowered


def _domain(value: str) -> str:
    text = str(value).strip().rstrip(".").lower()
    try:
        ascii_name = text.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValidationError(f"'{value}' is not a valid domain name.") from exc
    labels = ascii_name.split(".")
    if len(ascii_name) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValidationError(f"'{value}' is not a valid domain name (labels of letters, digits and -).")
    return ascii_name


def _redis_db(value: str) -> str:
    text = str(value).strip()
    if not text.isdigit() or not 0 <= int(text) < REDIS_DB_COUNT:
        raise ValidationError(f"A Redis database number is from 0 to {REDIS_DB_COUNT - 1}.")
    return str(int(text))


def _cron(value: str) -> str:
    text = " ".join(str(value).split())
    if text.split(" ", 1)[0] in _CRON_NAMES:
        parts = text.split(" ", 1)
        if len(parts) < 2:
            raise ValidationError("Give a schedule and a command, e.g. '0 3 * * * /usr/local/bin/backup'.")
        return text
    parts = text.split(" ", 5)
    if len(parts) < 6:
        raise ValidationError("Give 5 schedule fields and a command, e.g. '0 3 * * * /usr/local/bin/backup'.")
    for field, (low, high) in zip(parts[:5], _CRON_RANGES, strict=True):
        if not _CRON_FIELD.match(field):
            raise ValidationError(f"'{field}' is not a valid cron field.")
        for number in re.findall(r"\d+", field.split("/")[0]):
            if not low <= int(number) <= high:
                raise ValidationError(f"'{field}' is outside {low}-{high}.")
    return text


def _user(value: str) -> str:
    text = str(value).strip()
    if not _POSIX_USER.match(text):
        raise ValidationError("A POSIX user name: lowercase letter or _, then letters, digits, _ or - (32 at most).")
    return text


def _systemd(value: str) -> str:
    text = str(value).strip()
    if not _SYSTEMD_UNIT.match(text):
        raise ValidationError("A systemd unit name with its type, e.g. web.service or backup.timer.")
    return text


def _env_var(value: str) -> str:
    text = str(value).strip()
    if not _ENV_VAR.match(text):
        raise ValidationError("An environment variable name: uppercase letters, digits and _.")
    return text


def _secret(value: str) -> str:
    text = str(value).strip()
    if not _SECRET_NAME.match(text):
        raise ValidationError("The secret's identifier (a name or path), never the secret itself.")
    return text


CANONICAL = {
    Kind.PORT: _port,
    Kind.IP_ADDRESS: _ip,
    Kind.IP_RANGE: _cidr,
    Kind.DATABASE: _pg_identifier,
    Kind.DB_USER: _pg_identifier,
    Kind.SYSTEMD: _systemd,
    Kind.DOMAIN: _domain,
    Kind.REDIS_DB: _redis_db,
    Kind.CRON_JOB: _cron,
    Kind.USER: _user,
    Kind.ENV_VAR: _env_var,
    Kind.SECRET: _secret,
    **dict.fromkeys(PATH_KINDS, _path),
}


def canonical(kind: str, value) -> str:
    if kind not in CANONICAL:
        raise ValidationError({"resource_type": f"Unknown type; use one of: {', '.join(Kind.values)}."})
    if value is None or str(value).strip() == "":
        raise ValidationError({"resource_value": "This field is required."})
    try:
        return CANONICAL[kind](value)
    except ValidationError as exc:
        raise ValidationError({"resource_value": exc.messages}) from exc
