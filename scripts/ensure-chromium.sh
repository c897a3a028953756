#!/usr/bin/env bash
# Browser tests drive Debian's chromium through Playwright (Playwright's own browser download does
# not work on our machines), with a CJK font so zh-Hant screenshots are legible. Install them when
# missing and we may; otherwise the browser tests skip.
set -u
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qi "noto sans cjk" || need+=(fonts-noto-cjk)
((${#need[@]})) || exit 0
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${need[*]} for the browser tests…"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null) \
    || echo "Could not install ${need[*]}; browser tests may be skipped."
else
  echo "Missing ${need[*]}; browser tests will be skipped (apt-get install ${need[*]})."
fi
exit 0
