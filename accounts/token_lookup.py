"""The API's hottest read: a personal token, its user and the user's site roles, in one statement
whose text is made once per process. Every API request runs it, and compiling the equivalent
queryset cost more than the query itself (issue 17's profile)."""

from functools import cache

from django.contrib.auth import get_user_model
from django.db import connection

from tenancy.models import Membership

from .models import ApiToken


@cache
def _plan() -> tuple[str, list[str], list[str]]:
    user_model = get_user_model()
    quote = connection.ops.quote_name
    token_fields = [f.attname for f in ApiToken._meta.concrete_fields]
    user_fields = [f.attname for f in user_model._meta.concrete_fields]
    columns = [f"t.{quote(f.column)}" for f in ApiToken._meta.concrete_fields]
    columns += [f"u.{quote(f.column)}" for f in user_model._meta.concrete_fields]
    sql = (
        f"SELECT {', '.join(columns)}, "  # noqa: S608 - names from the models, the digest a parameter
        f"(SELECT coalesce(json_agg(json_build_array(m.site_id, m.role)), '[]'::json) "
        f"FROM {quote(Membership._meta.db_table)} m WHERE m.user_id = u.{quote(user_model._meta.pk.column)}) "
        f"FROM {quote(ApiToken._meta.db_table)} t "
        f"JOIN {quote(user_model._meta.db_table)} u ON u.{quote(user_model._meta.pk.column)} = t.user_id "
        "WHERE t.digest = %s"
    )
    return sql, token_fields, user_fields


def token_by_digest(digest: str) -> tuple[ApiToken, dict[int, str]] | None:
    """(the token with its user loaded, the user's {site id: role}), or None for an unknown digest.
    The columns are plain (text, integers, booleans, timestamps): no converters to apply."""
    sql, token_fields, user_fields = _plan()
    with connection.cursor() as cursor:
        cursor.execute(sql, [digest])
        row = cursor.fetchone()
    if row is None:
        return None
    cut = len(token_fields)
    token = ApiToken.from_db(connection.alias, token_fields, row[:cut])
    token.user = get_user_model().from_db(connection.alias, user_fields, row[cut : cut + len(user_fields)])
    return token, dict(row[-1])
