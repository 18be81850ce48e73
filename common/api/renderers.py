"""The API's JSON, rendered by orjson: the week of a busy site is 600 KiB of JSON, and encoding
it with the standard library was a large part of that request (issue 17). The bytes are DRF's
JSONRenderer's (a test compares them): what orjson would write differently (datetimes, decimals,
lazy text) goes through DRF's own encoder; subclasses of str, int, dict and list (ErrorDetail,
ReturnDict) are written as their base type, as the standard library does; indented output (the
browsable API) is left to DRF."""

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
_encoder = JSONEncoder()


class FastJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        renderer_context = renderer_context or {}
        if self.get_indent(accepted_media_type, renderer_context):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            rendered = orjson.dumps(data, default=_encoder.default, option=_OPTIONS)
        except (TypeError, orjson.JSONEncodeError):
            return super().render(data, accepted_media_type, renderer_context)  # DRF's own error
        # As DRF does: these two are valid JSON but end a line in JavaScript.
        if b"\xe2\x80\xa8" in rendered or b"\xe2\x80\xa9" in rendered:
            rendered = rendered.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return rendered
