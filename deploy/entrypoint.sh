#!/bin/sh
# The one way every Reservoir process starts, used by the image, docker-compose.yml and the Helm
# chart alike: a word per role, then that role's extra arguments.
#
#   entrypoint.sh web | worker | beat | migrate [ARGS...]
#   entrypoint.sh COMMAND [ARGS...]      # anything else runs as given (manage.py shell, ...)
#
# Configured by the environment only: PORT and WEB_CONCURRENCY (web), CELERY_QUEUES (worker),
# PROMETHEUS_MULTIPROC_DIR (metrics of the web's workers; emptied, never removed, at each start,
# so that it works in a sticky /tmp whoever made the folder first).
set -eu

metrics_dir() {
  [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ] || return 0
  if ! mkdir -p "$PROMETHEUS_MULTIPROC_DIR" 2>/dev/null || [ ! -w "$PROMETHEUS_MULTIPROC_DIR" ] \
    || ! find "$PROMETHEUS_MULTIPROC_DIR" -mindepth 1 -delete 2>/dev/null; then
    echo "entrypoint: $PROMETHEUS_MULTIPROC_DIR is not writable by $(id -u); metrics need a folder of their own" >&2
    exit 1
  fi
}

role=${1:-web}
[ "$#" -gt 0 ] && shift
case "$role" in
  web)
    metrics_dir
    exec gunicorn config.wsgi:application --bind "0.0.0.0:${PORT:-8000}" --workers "${WEB_CONCURRENCY:-3}" \
      --access-logfile - --forwarded-allow-ips='*' \
      --control-socket /tmp/gunicorn.ctl "$@"
    ;;
  worker)
    exec celery -A config worker -Q "${CELERY_QUEUES:-celery,webhooks}" -l "${CELERY_LOG_LEVEL:-info}" "$@"
    ;;
  beat)
    # Exactly one beat per installation: it schedules start/end events and re-sends the outbox.
    exec celery -A config beat -l "${CELERY_LOG_LEVEL:-info}" --schedule /tmp/celerybeat-schedule "$@"
    ;;
  migrate)
    exec python manage.py migrate --noinput "$@"
    ;;
  *)
    exec "$role" "$@"
    ;;
esac
