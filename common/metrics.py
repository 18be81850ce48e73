"""The counters each process keeps, which any layer may count on (the booking core counts refused
overlaps); observability.metrics reads the domain and renders them all for Prometheus."""

import os

from prometheus_client import Counter, Histogram

# In multi-process mode every process writes its counters there from the moment they are defined;
# workers and beat share the image's setting but not the web container's start command.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

HTTP_REQUESTS = Counter(
    "reservoir_http_requests_total", "HTTP requests by view and status code.", ["view", "method", "status"]
)
BOOKING_CONFLICTS = Counter("reservoir_booking_conflicts_refused_total", "Bookings refused because of an overlap.")
HTTP_LATENCY = Histogram(
    "reservoir_http_request_duration_seconds",
    "HTTP request duration by view.",
    ["view"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
