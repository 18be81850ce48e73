"""Filtering resources by their typed attributes, for the catalogue, the API and scripts:

    gpu_memory_gb >= 80, gpu_model = A100, interconnect in (nvlink, infiniband)

Conditions are separated by commas (or "and"); each is `key op value` with op one of
= != > >= < <= in. Numbers compare as numbers (only against attributes that are numbers: a text
"80" is not 80), everything else as exact text; `in` takes a parenthesised list. Keys are letters,
digits, `_`, `-` and `.`. A condition that does not parse is a ValidationError naming it."""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import CharField, F, Func, Q, QuerySet
from django.db.models.fields.json import KeyTransform

KEY = r"[A-Za-z_][A-Za-z0-9_.\-]{0,63}"
CONDITION = re.compile(rf"^\s*(?P<key>{KEY})\s*(?P<op>>=|<=|!=|=|>|<|\bin\b)\s*(?P<value>.+?)\s*$", re.IGNORECASE)
SEPARATOR = re.compile(r",(?![^()]*\))|\s+and\s+", re.IGNORECASE)
ORDERING = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}
MAX_CONDITIONS = 20


@dataclass(frozen=True)
class Condition:
    key: str
    op: str
    values: tuple


def _value(text: str):
    text = text.strip().strip('"').strip("'")
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in text else number


def parse(expression: str) -> list[Condition]:
    parts = [p for p in SEPARATOR.split(expression or "") if p.strip()]
    if len(parts) > MAX_CONDITIONS:
        raise ValidationError({"where": f"At most {MAX_CONDITIONS} conditions."})
    conditions = []
    for part in parts:
        match = CONDITION.match(part)
        if not match:
            raise ValidationError(
                {
                    "where": f"Cannot read {part.strip()!r}: write key op value, e.g. gpu_memory_gb >= 80 or "
                    "interconnect in (nvlink, infiniband)."
                }
            )
        key, op, raw = match["key"], match["op"].lower(), match["value"]
        if op == "in":
            if not (raw.startswith("(") and raw.endswith(")")):
                raise ValidationError({"where": f"{key} in ...: give the values in parentheses, e.g. (a, b)."})
            values = tuple(_value(v) for v in raw[1:-1].split(",") if v.strip())
            if not values:
                raise ValidationError({"where": f"{key} in (): give at least one value."})
        else:
            values = (_value(raw),)
            if op in ORDERING and not isinstance(values[0], int | float):
                raise ValidationError({"where": f"{key} {op} {raw}: {op} compares numbers only."})
        conditions.append(Condition(key, op, values))
    return conditions


class JsonType(Func):
    function = "jsonb_typeof"
    output_field = CharField()


def _equals(key: str, value) -> Q:
    return Q(**{f"attributes__{key}": value})


def apply(queryset: QuerySet, expression: str) -> QuerySet:
    """`queryset` (of resources) narrowed to those whose attributes meet every condition."""
    for index, condition in enumerate(parse(expression)):
        key, op, values = condition.key, condition.op, condition.values
        if op in ORDERING:
            kind = f"_attribute_type_{index}"
            queryset = queryset.alias(**{kind: JsonType(KeyTransform(key, F("attributes")))}).filter(
                **{kind: "number", f"attributes__{key}__{ORDERING[op]}": values[0]}
            )
        elif op == "in":
            match = Q()
            for value in values:
                match |= _equals(key, value)
            queryset = queryset.filter(match)
        elif op == "=":
            queryset = queryset.filter(_equals(key, values[0]))
        else:  # != : a resource without the attribute is not equal to it either
            queryset = queryset.exclude(Q(attributes__has_key=key) & _equals(key, values[0]))
    return queryset
