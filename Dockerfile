# syntax=docker/dockerfile:1
# Production image: gunicorn for web; the same image runs the Celery worker and beat
# (docker run IMAGE celery -A config worker / beat). Configured only by the environment.

# The browser libraries exactly as package-lock.json pins them (integrity-checked), by the same
# script dev.py uses on a Python-only machine.
FROM python:3.11-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
COPY deploy/browser_packages.py deploy/
RUN python deploy/browser_packages.py --target /src/node_modules

FROM python:3.11-slim AS build
WORKDIR /src
COPY requirements.txt .
RUN pip wheel --no-cache-dir --wheel-dir /wheels -r requirements.txt

FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DEBUG=0 \
    STATIC_ROOT=/app/staticfiles \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus \
    PORT=8000
RUN groupadd --system --gid 10001 reservoir \
    && useradd --system --uid 10001 --gid reservoir --home-dir /app --shell /usr/sbin/nologin reservoir
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index /wheels/* && rm -rf /wheels
WORKDIR /app
COPY --chown=reservoir:reservoir . .
COPY --from=assets --chown=reservoir:reservoir /src/node_modules /app/node_modules
# collectstatic needs settings that parse, not servers that answer: these values never reach runtime.
RUN SECRET_KEY=build-only ALLOWED_HOSTS=build DATABASE_URL=postgres://build/build \
    CELERY_BROKER_URL=redis://build:6379/0 python manage.py collectstatic --noinput \
    && chown -R reservoir:reservoir /app/staticfiles
USER reservoir
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz', timeout=4)"
CMD ["sh", "-c", "rm -rf \"$PROMETHEUS_MULTIPROC_DIR\" && mkdir -p \"$PROMETHEUS_MULTIPROC_DIR\" && exec gunicorn config.wsgi:application --bind 0.0.0.0:${PORT} --workers ${WEB_CONCURRENCY:-3} --access-logfile - --forwarded-allow-ips='*'"]
