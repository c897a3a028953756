#!/usr/bin/env bash
# Schema-driven fuzzing of the partner API: start the app under gunicorn with production settings
# on a throw-away SQLite database with the demo data and a fresh API key, then let schemathesis
# generate requests from /api/schema/. Fails on any 500 and on any response the schema does not
# allow (status code, content type, headers, body). Used by .ci/run; runs alone too:
#   bash scripts/api-fuzz.sh  (API_FUZZ_PORT, API_FUZZ_MAX_EXAMPLES, API_FUZZ_MAX_TIME, API_FUZZ_WORKERS)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
tmp=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

port=$("$BIN/python" - "${API_FUZZ_PORT:-18700}" <<'PY'
import socket, sys
start = int(sys.argv[1])
for port in range(start, start + 100):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(port)
        break
else:
    sys.exit("no free port")
PY
)

export DATABASE_URL="sqlite:///$tmp/fuzz.sqlite3"
export DEBUG=0 SECURE_SSL_REDIRECT=0 ALLOWED_HOSTS=127.0.0.1
export SECRET_KEY="$("$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(64))')"
export MEDIA_ROOT="$tmp/media" LOG_LEVEL=ERROR

"$BIN/python" manage.py migrate --noinput >/dev/null
"$BIN/python" manage.py seed_demo >/dev/null
key=$("$BIN/python" manage.py create_api_key --name schemathesis --scopes read,issue,redeem,vehicles,telematics \
  --rate-limit 1000000 --quiet)

# Real identifiers from the demo data, offered to the generator half of the time, so that requests
# also reach vouchers, vehicles, dealers and definitions that exist (not only 404s and 400s).
"$BIN/python" manage.py shell -v 0 -c '
import json
from members.models import Dealer
from vehicles.models import Vehicle
from vouchers.models import Voucher, VoucherDefinition
from redemption.models import Redemption
q = lambda values: json.dumps([str(v) for v in values])
print("[dictionaries.codes]\nvalues = " + q(Voucher.objects.order_by("?").values_list("code", flat=True)[:40]))
print("[dictionaries.vins]\nvalues = " + q(Vehicle.objects.order_by("?").values_list("vin", flat=True)[:40]))
print("[dictionaries.plates]\nvalues = " + q(Vehicle.objects.order_by("?").values_list("plate", flat=True)[:40]))
print("[dictionaries.dealers]\nvalues = " + q(Dealer.objects.values_list("code", flat=True)))
print("[dictionaries.definitions]\nvalues = " + q(VoucherDefinition.objects.values_list("code", flat=True)))
print("[dictionaries.redemptions]\nvalues = " + json.dumps(list(Redemption.objects.values_list("pk", flat=True)[:40])))
' >"$tmp/schemathesis.toml"
cat >>"$tmp/schemathesis.toml" <<'TOML'
[parameters]
"path.code" = { dictionary = "codes", probability = 0.5 }
"path.vin" = { dictionary = "vins", probability = 0.5 }
"path.id" = { dictionary = "redemptions", probability = 0.3 }
"body.definition" = { dictionary = "definitions", probability = 0.5 }
"body.dealer" = { dictionary = "dealers", probability = 0.5 }
"body.vin" = { dictionary = "vins", probability = 0.5 }
"body.plate" = { dictionary = "plates", probability = 0.5 }
"body.vehicle.vin" = { dictionary = "vins", probability = 0.5 }
"body.vehicle.plate" = { dictionary = "plates", probability = 0.5 }
TOML

GUNICORN_BIND="127.0.0.1:$port" GUNICORN_WORKERS=4 "$BIN/gunicorn" -c config/gunicorn.conf.py \
  config.wsgi --access-logfile /dev/null >"$tmp/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 60); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/api/schema/" && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$tmp/server.log"; echo "gunicorn exited"; exit 1; }
  sleep 0.5
done

# One worker by default: schemathesis workers are threads, and CPython 3.11's AST constructor is not
# thread-safe (cpython gh-106905), so Hypothesis describing strategies in parallel threads can fail
# a run with "AST constructor recursion depth mismatch" that has nothing to do with the API.
status=0
"$BIN/schemathesis" --config-file "$tmp/schemathesis.toml" run "http://127.0.0.1:$port/api/schema/" \
  --header "Authorization: Bearer $key" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection \
  --max-examples "${API_FUZZ_MAX_EXAMPLES:-60}" \
  --max-time "${API_FUZZ_MAX_TIME:-90}" \
  --seed "${API_FUZZ_SEED:-20261123}" \
  --phases examples,coverage,fuzzing \
  --workers "${API_FUZZ_WORKERS:-1}" \
  --request-timeout 20 \
  --suppress-health-check too_slow,filter_too_much \
  --no-color 2>&1 | tee "$tmp/schemathesis.log" || status=$?
if [ "$status" -ne 0 ]; then
  # The tail of a CI log is what gets read: server errors with their tracebacks (not the 4xx noise),
  # then schemathesis's failures again, with the curl commands that reproduce them.
  echo "--- server errors"
  grep -A 40 -E "Internal Server Error|Traceback" "$tmp/server.log" | head -n 120 || echo "(none)"
  echo "--- schemathesis failures (repeated)"
  sed -n '/^=* *FAILURES/,/^=* *SUMMARY/p' "$tmp/schemathesis.log" | head -n 150
  sed -n '/^=* *ERRORS/,/^=* *SUMMARY/p' "$tmp/schemathesis.log" | head -n 60
fi
exit "$status"
