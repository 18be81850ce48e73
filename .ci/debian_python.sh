#!/usr/bin/env bash
# The README's two commands with Debian's own Python (/usr/bin/python3, 3.11.2 on Debian 12), in a
# copy of the checkout with nothing but its files, on the embedded PostgreSQL and Redis, as a
# newcomer on a fresh Debian server runs them: `run` must print its logins, answer /readyz 200 and
# stop clean on Ctrl-C; `test` must run (a part of the suite: the whole runs with CI's Python).
set -uo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
PORT=${DEBIAN_PYTHON_PORT:-8767}
"$PY" --version || exit 1
copy=$(mktemp -d /tmp/reservoir-debian-python.XXXXXX)
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$copy"
cd "$copy"
env -u DATABASE_URL -u CELERY_BROKER_URL -u VIRTUAL_ENV PATH=/usr/bin:/bin:/usr/sbin:/sbin HOME="$HOME" \
  PORT="$PORT" setsid "$PY" dev.py run >run.log 2>&1 &
pid=$!
started=$(date +%s)
for _ in $(seq 600); do grep -q "Reservoir is running" run.log && break; kill -0 "$pid" 2>/dev/null || break; sleep 1; done
if ! grep -q "Reservoir is running" run.log; then cat run.log; kill -INT -- "-$pid" 2>/dev/null; exit 1; fi
echo "dev.py run came up in $(( $(date +%s) - started )) s with $("$copy/.venv/bin/python" --version)"
grep -A4 "Demo logins" run.log
for who in admin siteadmin user; do grep -Eq "^  $who +/ \S+" run.log || { echo "no login printed for $who"; exit 1; }; done
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz")
echo "/readyz: $code"
kill -INT -- "-$pid"
stopped=0
for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || { stopped=1; break; }; sleep 1; done
wait "$pid"; rc=$?
left=$(pgrep -f "$copy" | wc -l)
echo "after Ctrl-C: exit code $rc, stopped $stopped, processes left $left"
[ "$code" = 200 ] && [ "$stopped" = 1 ] && [ "$rc" = 0 ] && [ "$left" = 0 ] || { tail -40 run.log; exit 1; }

env -u DATABASE_URL -u CELERY_BROKER_URL PATH=/usr/bin:/bin:/usr/sbin:/sbin HOME="$HOME" CI="${CI:-}" \
  "$PY" dev.py test -q -p no:cacheprovider tests/test_deployment.py tests/browser/test_python_only_install.py \
  tests/reservations/test_races.py || exit 1
cd / && rm -rf "$copy"
echo "Debian's Python runs both commands"
