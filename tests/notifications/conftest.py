import logging
import threading
import time

import pytest
from aiosmtpd.controller import Controller

from tests.processes import free_port

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP line at INFO


class Mailbox:
    """A real SMTP server on loopback that keeps what it is sent. `refuse` makes it answer 451
    (a transient failure) to every message until cleared."""

    def __init__(self):
        self.messages: list[dict] = []
        self.refuse = False
        self.lock = threading.Lock()
        self.port = free_port()
        mailbox = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                if mailbox.refuse:
                    return "451 Try again later"
                with mailbox.lock:
                    mailbox.messages.append({"to": envelope.rcpt_tos, "data": envelope.content.decode()})
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def subjects(self) -> list[str]:
        with self.lock:
            return [
                next(line[9:] for line in m["data"].splitlines() if line.startswith("Subject: ")) for m in self.messages
            ]

    def wait_for(self, count: int, timeout: float = 30) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} emails, got {len(self.messages)}")


@pytest.fixture
def mailbox(settings):
    box = Mailbox()
    box.controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", box.port
    yield box
    box.controller.stop()
