import re
import time
from pathlib import Path

import pytest

from webhooks.transport import signing


def test_sign_and_verify_round_trip():
    secret = signing.generate_secret()
    assert secret.startswith("whsec_")
    body = b'{"id":"1"}'
    headers = signing.headers([secret], "evt_1", int(time.time()), body)
    signing.verify(secret, headers, body)


def test_known_vector_from_the_standard_webhooks_specification():
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    assert (
        signing.sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda h, b: ({**h, "webhook-signature": "v1,AAAA"}, b), "No signature matches"),
        (lambda h, b: (h, b + b" "), "No signature matches"),
        (lambda h, b: ({**h, "webhook-timestamp": str(int(time.time()) - 600)}, b), "too old"),
        (lambda h, b: ({k: v for k, v in h.items() if k != "webhook-id"}, b), "Missing"),
    ],
)
def test_tampering_and_replays_are_refused(change, message):
    secret = signing.generate_secret()
    body = b"{}"
    headers, body = change(signing.headers([secret], "evt_1", int(time.time()), body), body)
    with pytest.raises(signing.InvalidSignature, match=message):
        signing.verify(secret, headers, body)


def test_during_rotation_both_signatures_are_sent_and_either_secret_verifies():
    old, new = signing.generate_secret(), signing.generate_secret()
    headers = signing.headers([new, old], "evt_1", int(time.time()), b"{}")
    assert len(headers["webhook-signature"].split()) == 2
    signing.verify(old, headers, b"{}")
    signing.verify(new, headers, b"{}")


def test_the_documented_receiver_snippet_verifies_our_signatures():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "webhooks.md").read_text()
    snippet = re.search(r"```python\n(.*?)```", doc, re.DOTALL).group(1)
    namespace: dict = {}
    exec(snippet, namespace)  # noqa: S102 - the documentation's own code, tested as written
    secret = signing.generate_secret()
    body = b'{"type":"reservation.started"}'
    headers = signing.headers([secret], "evt_9", int(time.time()), body)
    assert namespace["verify_webhook"](secret, headers, body) is True
    assert namespace["verify_webhook"](secret, {**headers, "webhook-signature": "v1,AAAA"}, body) is False
