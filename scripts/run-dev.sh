#!/usr/bin/env bash
# Start the django-q2 worker and the development server, each writing to its own log in run/, and
# print the URL and the demo log-ins only once both are up, so they are the last thing on screen.
# After that the terminal shows nothing but owners' sign-in codes (the console SMS backend writes
# them into the worker's log); every other message and task line stays in run/qcluster.log.
# Ctrl-C stops the server, and the worker with it.
set -euo pipefail
BIN=$1 HOST=$2 PORT=$3
URL="http://$HOST:$PORT/"
mkdir -p run
WORKER_LOG=run/qcluster.log
WEB_LOG=run/runserver.log
# The sign-in SMS in either language (portal/services.py, _sms_body); tests/config/test_run_dev.py
# keeps this in step with the wording.
SIGN_IN_CODES='\[sms to [^]]*\] (您的登入驗證碼|Your sign-in code)'
: >"$WORKER_LOG"
: >"$WEB_LOG"
export PYTHONUNBUFFERED=1

"$BIN/python" manage.py qcluster >>"$WORKER_LOG" 2>&1 &
WORKER=$!
HELPERS=""
stop() {
  trap - EXIT INT TERM
  kill $HELPERS "$WORKER" 2>/dev/null || true
  wait "$WORKER" 2>/dev/null || true
}
trap stop EXIT
trap 'exit 130' INT TERM

up() { "$BIN/python" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" "$URL" 2>/dev/null; }
banner() {
  for _ in $(seq 240); do
    up && break
    sleep 0.5
  done
  if ! up; then
    tail -n 40 "$WEB_LOG"
    echo "make run: the site did not answer at $URL (see $WEB_LOG)"
    return 1
  fi
  kill -0 "$WORKER" 2>/dev/null || echo "make run: the django-q2 worker stopped (see $WORKER_LOG)"
  "$BIN/python" manage.py demo_logins --url "$URL"
  echo "Logs: $WEB_LOG (web requests), $WORKER_LOG (worker: tasks, messages sent). Ctrl-C stops both."
  echo "Owners' sign-in codes appear below:"
}
banner &
HELPERS="$!"
tail -n 0 -F "$WORKER_LOG" 2>/dev/null > >(grep --line-buffered -E "$SIGN_IN_CODES") &
HELPERS="$HELPERS $!"

status=0
"$BIN/python" manage.py runserver "$HOST:$PORT" --noreload >>"$WEB_LOG" 2>&1 || status=$?
exit "$status"
