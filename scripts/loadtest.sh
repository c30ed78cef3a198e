#!/usr/bin/env bash
# make loadtest: serve the app with gunicorn on 127.0.0.1 and run wrk for 30 s against the
# trivial view (/robots.txt, no database) and the agreement list (LOADTEST_PAGES: the
# trivial page first, then any others), then print requests per second for each, each
# page's ratio to the trivial one, and the error count (which must be 0).
# Uses DATABASE_URL / REDIS_URL when set, else the SQLite database in the checkout.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${LOADTEST_PORT:-8190}
DURATION=${LOADTEST_DURATION:-30s}
CONNECTIONS=${LOADTEST_CONNECTIONS:-16}
WORKERS=${LOADTEST_WORKERS:-4}
PAGES=${LOADTEST_PAGES:-"/robots.txt /agreements/"}
BIN=.venv/bin

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

export DJANGO_DEBUG=0
export DJANGO_SECRET_KEY=${DJANGO_SECRET_KEY:-$($BIN/python -c 'import secrets; print(secrets.token_urlsafe(50))')}
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
export DJANGO_SECURE_SSL_REDIRECT=${DJANGO_SECURE_SSL_REDIRECT:-0}
$BIN/python manage.py migrate --noinput -v0
$BIN/python manage.py load_seed -v0
$BIN/python manage.py collectstatic --noinput -v0

$BIN/gunicorn -c grants/project/gunicorn.conf.py grants.project.wsgi --bind 127.0.0.1:$PORT --workers "$WORKERS" --log-level warning &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/robots.txt" && break; sleep 0.2; done

declare -A rps
errors_total=0
for page in $PAGES; do
  status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT$page")
  [ "$status" = 200 ] || { echo "$page answers $status before the test" >&2; exit 1; }
  out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "http://127.0.0.1:$PORT$page")
  r=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx or 3xx responses/ {print $5}' <<<"$out"); non2xx=${non2xx:-0}
  socket=$(awk -F'[ ,]+' '/Socket errors/ {print $4+$6+$8+$10}' <<<"$out"); socket=${socket:-0}
  p50=$(awk '/^ +50%/ {print $2}' <<<"$out")
  rps[$page]=$r
  errors_total=$((errors_total + non2xx + socket))
  printf '%-20s %10s req/s   p50 %-8s errors %s\n' "$page" "$r" "$p50" "$((non2xx + socket))"
done
set -- $PAGES
trivial=$1
shift
# Every other page against the trivial one (the first of LOADTEST_PAGES).
ratios=""
for page in "$@"; do
  r=$(python3 -c "print(f'{${rps[$page]} / ${rps[$trivial]}:.3f}')")
  echo "ratio $page / $trivial: $r"
  ratios="$ratios${ratios:+, }\"$page\": $r"
done
echo "errors: $errors_total"
echo "{\"trivial_rps\": ${rps[$trivial]}, \"list_rps\": ${rps[$1]}, \"ratio\": $(python3 -c "print(f'{${rps[$1]} / ${rps[$trivial]}:.3f}')"), \"ratios\": {$ratios}, \"errors\": $errors_total, \"workers\": $WORKERS, \"connections\": $CONNECTIONS}"
[ "$errors_total" = 0 ]
