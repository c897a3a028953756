#!/usr/bin/env bash
# Runs `make run` the way a new user would, waits for the site, checks the printed log-ins and the
# worker, then stops it. Uses a separate SQLite file so a developer's database is left alone.
set -euo pipefail
port=${SMOKE_PORT:-18765}
tmp=$(mktemp -d)
export DATABASE_URL="sqlite:///$tmp/smoke.sqlite3"
log="$tmp/make-run.log"
setsid make run PORT="$port" >"$log" 2>&1 &
pid=$!
cleanup() { kill -- -"$pid" 2>/dev/null || true; sleep 1; kill -9 -- -"$pid" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
for _ in $(seq 240); do
  if curl -fs -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null; then break; fi
  kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "make run exited early"; exit 1; }
  sleep 1
done
curl -fsS -o /dev/null "http://127.0.0.1:$port/" || { cat "$log"; echo "site never came up"; exit 1; }
# The URL and log-ins are printed once the site answers: give them a moment, then they must be last.
for _ in $(seq 30); do grep -q "sign-in codes appear below" "$log" && break; sleep 1; done
tail -n 25 "$log" | grep -q "http://127.0.0.1:$port/" || { cat "$log"; echo "URL not printed last"; exit 1; }
tail -n 25 "$log" | grep -qi "operations" && tail -n 25 "$log" | grep -qi "advisor" \
  && tail -n 25 "$log" | grep -qi "owner" || { cat "$log"; echo "demo log-ins not printed last"; exit 1; }
test -s run/qcluster.log || { cat "$log"; echo "worker log run/qcluster.log is empty"; exit 1; }
! grep -q "Q Cluster" "$log" || { cat "$log"; echo "worker lines reached the terminal"; exit 1; }
pgrep -f "manage.py qcluster" >/dev/null || { cat "$log"; echo "django-q2 worker not running"; exit 1; }
echo "make run: site up on port $port, log-ins printed last, worker running and logging to run/qcluster.log"
