# syntax=docker/dockerfile:1
# Production image: one entrypoint with a word per role (deploy/entrypoint.sh): web (the default),
# worker, beat, migrate; docker-compose.yml and the Helm chart start them by those words.
# Configured only by the environment. The app user owns nothing but what it makes in /tmp.
#
# BASE_IMAGE: any Debian-rooted image with `python` and `pip` on the PATH (Python 3.11.2 or newer);
# deploy/image_check.sh builds one with debootstrap where no registry is reachable.
ARG BASE_IMAGE=python:3.11-slim

# The browser libraries exactly as package-lock.json pins them (integrity-checked), by the same
# script dev.py uses on a Python-only machine.
FROM ${BASE_IMAGE} AS assets
WORKDIR /src
COPY package.json package-lock.json ./
COPY deploy/browser_packages.py deploy/
RUN python deploy/browser_packages.py --target /src/node_modules

FROM ${BASE_IMAGE} AS build
WORKDIR /src
COPY requirements.txt .
RUN pip wheel --no-cache-dir --wheel-dir /wheels -r requirements.txt

FROM ${BASE_IMAGE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DEBUG=0 \
    STATIC_ROOT=/app/staticfiles \
    PORT=8000
RUN groupadd --system --gid 10001 reservoir \
    && useradd --system --uid 10001 --gid reservoir --home-dir /app --no-create-home --shell /usr/sbin/nologin reservoir \
    && chmod 0755 /var/tmp /run/lock  # /tmp is the app's only scratch space (the chart mounts it)
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index /wheels/* && rm -rf /wheels
WORKDIR /app
# Root owns the code, the browser libraries and the collected static files: the app only reads them.
COPY . .
COPY --from=assets /src/node_modules /app/node_modules
# collectstatic needs settings that parse, not servers that answer: these values never reach runtime.
# It runs before PROMETHEUS_MULTIPROC_DIR is set, so that no metrics file of root's stays behind.
RUN SECRET_KEY=build-only ALLOWED_HOSTS=build DATABASE_URL=postgres://build/build \
    CELERY_BROKER_URL=redis://build:6379/0 python manage.py collectstatic --noinput \
    && chmod -R a+rX /app && chmod 0755 deploy/entrypoint.sh \
    && find /tmp -mindepth 1 -delete
ENV PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus
USER reservoir
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz', timeout=4)"
ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["web"]
