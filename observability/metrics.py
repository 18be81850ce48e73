"""Prometheus metrics. Request counters live in each process (multi-process mode when
PROMETHEUS_MULTIPROC_DIR is set, as under gunicorn; defined in common.metrics so that any layer may
count); everything about the domain is read from the database at scrape time, so web, workers and
beat report one consistent picture."""

import os

from django.db import connection
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from common.metrics import BOOKING_CONFLICTS, HTTP_LATENCY, HTTP_REQUESTS

DOMAIN_QUERIES = {
    "bookings": "SELECT status, count(*) FROM reservations_reservation GROUP BY status",
    "events": "SELECT type, count(*) FROM webhooks_event GROUP BY type",
    "lag": """
        SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY lag), percentile_cont(0.99) WITHIN GROUP (ORDER BY lag)
        FROM (SELECT extract(epoch FROM started_event_at - start) AS lag FROM reservations_reservation
              WHERE started_event_at > now() - interval '1 hour') recent
    """,
    "deliveries": "SELECT status, count(*) FROM webhooks_delivery GROUP BY status",
    "delivery_time": """
        SELECT succeeded, count(*), coalesce(sum(duration_ms), 0) FROM webhooks_deliveryattempt
        WHERE started > now() - interval '1 hour' GROUP BY succeeded
    """,
    "outbox": "SELECT count(*) FROM webhooks_delivery WHERE status IN ('pending', 'delivering')",
    "allocations": "SELECT resource_type, status, count(*) FROM registry_allocation GROUP BY 1, 2",
    "refused_bookings": "SELECT count(*) FROM registry_allocationconflict",
}


class DomainCollector:
    def collect(self):
        with connection.cursor() as cursor:

            def rows(name):
                cursor.execute(DOMAIN_QUERIES[name])
                return cursor.fetchall()

            bookings = GaugeMetricFamily("reservoir_bookings", "Bookings by status.", labels=["status"])
            for status, count in rows("bookings"):
                bookings.add_metric([status], count)
            yield bookings
            events = CounterMetricFamily("reservoir_events", "Events written to the outbox by type.", labels=["type"])
            for kind, count in rows("events"):
                events.add_metric([kind], count)
            yield events
            p50, p99 = rows("lag")[0]
            lag = GaugeMetricFamily(
                "reservoir_booking_start_event_lag_seconds",
                "Lag of reservation.started behind the booking start, last hour.",
                labels=["quantile"],
            )
            lag.add_metric(["0.5"], float(p50 or 0))
            lag.add_metric(["0.99"], float(p99 or 0))
            yield lag
            deliveries = GaugeMetricFamily("reservoir_webhook_deliveries", "Deliveries by status.", labels=["status"])
            for status, count in rows("deliveries"):
                deliveries.add_metric([status], count)
            yield deliveries
            attempts = GaugeMetricFamily(
                "reservoir_webhook_attempts_last_hour", "Delivery attempts in the last hour.", labels=["result"]
            )
            duration = GaugeMetricFamily(
                "reservoir_webhook_attempt_duration_seconds_avg",
                "Average attempt duration in the last hour.",
                labels=["result"],
            )
            for succeeded, count, total_ms in rows("delivery_time"):
                result = "success" if succeeded else "failure"
                attempts.add_metric([result], count)
                duration.add_metric([result], (total_ms / count / 1000) if count else 0)
            yield attempts
            yield duration
            yield GaugeMetricFamily(
                "reservoir_outbox_pending", "Deliveries waiting to be sent.", value=rows("outbox")[0][0]
            )
            allocations = GaugeMetricFamily(
                "reservoir_registry_allocations", "Registry allocations.", labels=["type", "status"]
            )
            for kind, status, count in rows("allocations"):
                allocations.add_metric([kind, status], count)
            yield allocations
            yield CounterMetricFamily(
                "reservoir_registry_conflicts", "Refused allocations.", value=rows("refused_bookings")[0][0]
            )


def render() -> bytes:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        for metric in (HTTP_REQUESTS, HTTP_LATENCY, BOOKING_CONFLICTS):
            registry.register(metric)
    registry.register(DomainCollector())
    return generate_latest(registry)
