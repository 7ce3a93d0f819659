#!/bin/sh
# Render a balancer HTML report to a PNG with headless Chromium, to look at the page as a reader
# would (the same flags as tests/test_html.py). A developer tool, not part of the package.
#
#   scripts/screenshot.sh REPORT.html|SCENARIO.yaml [OUT.png] [WIDTH,HEIGHT]
#
# Given a scenario instead of a report, it selects the board first and writes the report next to
# the PNG. The window defaults to 1200,2000; use a taller one (1200,9000) to see the whole page,
# or SECTION=composition (any section id: members, criteria, shaped, supply...) to shoot that
# section alone, at full size, from a copy of the page with the others hidden.
# Needs the Debian package `chromium` (apt-get install chromium).
set -eu

if [ $# -lt 1 ]; then
    sed -n '5,11p' "$0" >&2
    exit 2
fi
input=$1
size=${3:-1200,2000}
browser=${CHROMIUM:-chromium}
command -v "$browser" >/dev/null 2>&1 || {
    echo "screenshot: $browser not found; install it with: apt-get install chromium" >&2
    exit 2
}

case $input in
*.yaml | *.yml)
    out=${2:-out/report.png}
    mkdir -p "$(dirname "$out")"
    html="${out%.png}.html"
    python - "$input" "$html" <<'PY'
import sys
from pathlib import Path

import balancer
from balancer.selection.run import public_members
from balancer.selection.report import render_html

result = balancer.select(sys.argv[1], workers=1)
Path(sys.argv[2]).write_text(render_html(result.report, public_members(result)), encoding="utf-8")
PY
    ;;
*)
    html=$input
    out=${2:-${input%.html}.png}
    ;;
esac

html_abs=$(cd "$(dirname "$html")" && pwd)/$(basename "$html")
out_abs=$(mkdir -p "$(dirname "$out")" && cd "$(dirname "$out")" && pwd)/$(basename "$out")
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT INT TERM
if [ -n "${SECTION:-}" ]; then
    only="$profile/section.html"
    sed "s|</head>|<style>.page > *:not(#$SECTION) { display: none; }</style></head>|" \
        "$html_abs" >"$only"
    html_abs=$only
fi

timeout 60 "$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run \
    --user-data-dir="$profile" --screenshot="$out_abs" --window-size="$size" \
    "file://$html_abs" >/dev/null 2>&1
echo "$out_abs"
