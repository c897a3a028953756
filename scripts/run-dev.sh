#!/usr/bin/env bash
# Start a django-q2 worker in the background and the development server in the foreground;
# stopping the server (Ctrl-C) stops the worker too.
set -euo pipefail
BIN=$1 HOST=$2 PORT=$3
"$BIN/python" manage.py qcluster &
WORKER=$!
trap 'kill "$WORKER" 2>/dev/null || true; wait "$WORKER" 2>/dev/null || true' EXIT INT TERM
"$BIN/python" manage.py demo_logins --url "http://$HOST:$PORT/"
echo "django-q2 worker running (pid $WORKER); its output (one-time codes, messages) appears here. Ctrl-C stops both."
exec_status=0
"$BIN/python" manage.py runserver "$HOST:$PORT" --noreload || exec_status=$?
exit $exec_status
