"""Django's PostgreSQL backend, with a health check that costs no round trip while nothing says the
connection is gone.

CONN_HEALTH_CHECKS makes Django check a persistent connection at the start of every request that
touches the database, by sending `SELECT 1`: a whole round trip, a tenth of a booking create and a
third of a one-object read (issue 39's profile). A server that ends a connection (restart, failover,
`pg_terminate_backend`, idle timeout) first sends its reason and then closes the socket, so an idle
connection whose socket has something to read, or has hung up, is one the server is done with. Only
then is the full check run (and fails, and Django connects again); a connection in any state but
idle is checked the full way too."""

import select

from django.db.backends.postgresql import base
from psycopg import pq


def _has_input(fileno: int) -> bool:
    poller = select.poll()
    poller.register(fileno, select.POLLIN)  # POLLHUP and POLLERR are reported whatever the mask
    return bool(poller.poll(0))


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        connection = self.connection
        if connection is None or connection.closed:
            return False
        idle = connection.info.transaction_status == pq.TransactionStatus.IDLE
        if idle and not _has_input(connection.fileno()):
            return True
        return super().is_usable()
