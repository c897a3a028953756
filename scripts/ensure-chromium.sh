#!/usr/bin/env bash
# Browser tests drive Debian's chromium through Playwright (Playwright's own browser download does
# not work on our machines). Install it when missing and we may; otherwise the browser tests skip.
set -u
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests…"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "Could not install chromium; browser tests will be skipped."
else
  echo "chromium is not installed; browser tests will be skipped (apt-get install chromium)."
fi
exit 0
