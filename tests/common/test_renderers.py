"""The API's JSON renderer (orjson) writes what DRF's own JSONRenderer writes."""

import datetime
import decimal
import json
import uuid
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict

from common.api.renderers import FastJSONRenderer


def test_the_same_document_as_drf_for_what_the_api_returns():
    data = ReturnDict(
        {
            "id": 7,
            "name": "gpü-1 \u2028 line",
            "error": [ErrorDetail("This field is required.", code="required")],
            "at": datetime.datetime(2026, 12, 1, 9, 30, tzinfo=datetime.UTC),
            "local": datetime.datetime(2026, 12, 1, 9, 30, 0, 123456, tzinfo=ZoneInfo("Europe/Berlin")),
            "day": datetime.date(2026, 12, 1),
            "took": datetime.timedelta(minutes=90),
            "hours": decimal.Decimal("1.50"),
            "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
            "lazy": gettext_lazy("Site"),
            "nested": {1: [True, None, 1.5, {"x": []}]},
        },
        serializer=None,
    )
    ours = FastJSONRenderer().render(data)
    theirs = JSONRenderer().render(data)
    assert json.loads(ours) == json.loads(theirs)
    assert ours == theirs


def test_indented_output_is_drfs():
    context = {"indent": 4}
    assert FastJSONRenderer().render({"a": 1}, renderer_context=context) == JSONRenderer().render(
        {"a": 1}, renderer_context=context
    )
