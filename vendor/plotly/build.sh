#!/usr/bin/env bash
# Rebuild ../../assets/vendor/plotly-explorer.min.js from plotly.js's own modules
# (plotly.js's documented way to a custom bundle: lib/core plus Plotly.register).
# Needs Node.js and npm (not needed to run or test the app: the bundle is committed).
# The plotly.js version must equal the one plotly.py ships (python -m pip show plotly),
# so figures built in Python meet the same plotly.js in the browser.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
python="${PYTHON:-$root/.venv/bin/python}"
want="$("$python" -c 'from plotly.offline import get_plotlyjs_version as v; print(v())')"
have="$(sed -n 's/.*"plotly.js": "\(.*\)".*/\1/p' "$here/package.json")"
if [ "$want" != "$have" ]; then
  echo "plotly.py ships plotly.js $want but package.json pins $have: set it to $want" >&2
  exit 1
fi
traces="$(sed -n "s/.*require('plotly.js\/lib\/\([a-z0-9]*\)').*/\1/p" "$here/entry.js" | grep -v '^core$' | paste -sd, -)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/package.json" "$here/package-lock.json" "$here/entry.js" "$here/licenses.js" "$work/"
# the lock file pins every package the bundle is built from
(cd "$work" && npm ci --no-audit --no-fund --ignore-scripts --silent)
# css=empty: the only stylesheet plotly.js imports is maplibre's, for map traces we do not
# register (plotly.js injects its own styles from JS)
"$work/node_modules/.bin/esbuild" "$work/entry.js" --bundle --minify --format=iife \
  --global-name=Plotly --target=es2016 --define:global=window --define:define.amd=false \
  --loader:.css=empty --legal-comments=none --metafile="$work/meta.json" \
  --banner:js="/* plotly.js v$have, custom bundle (scatter,$traces) | (c) Plotly, Inc., MIT license; bundled packages' licences: plotly-explorer.LICENSES.txt | built by vendor/plotly/build.sh */" \
  --log-level=warning --outfile="$root/assets/vendor/plotly-explorer.min.js"
# the licence notices of the bundled packages (plotly.js, d3 and others), beside it
(cd "$work" && node licenses.js meta.json node_modules "$root/assets/vendor/plotly-explorer.LICENSES.txt")
ls -l "$root/assets/vendor/plotly-explorer.min.js"
sha256sum "$root/assets/vendor/plotly-explorer.min.js"
