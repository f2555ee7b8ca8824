#!/usr/bin/env bash
# Installs what the integration tests need, when it is missing:
#   - Debian's prometheus (with promtool), prometheus-pushgateway and
#     prometheus-alertmanager (with amtool): real binaries the tests start on
#     127.0.0.1 (tools/services);
#   - Debian's chromium: the headless browser that renders the job summaries as
#     GitHub shows them (__tests__/e2e/render.e2e.test.ts, npm run screenshot);
#     about 115 MB to download, some 15 s to install;
#   - Debian's cmark-gfm: GitHub's Markdown renderer, which the tests use to
#     check that untrusted text in summaries renders as text (__tests__/unit/gfm.test.ts);
#   - Debian's tinyproxy: a real forward proxy (__tests__/e2e/proxy.e2e.test.ts);
#   - Node 24, the runtime action.yml declares (runs.using: node24), from the
#     npm package in tools/node24, so the suite can run the bundles on it.
# Idempotent: prints one line per thing it found or did. Needs root for apt-get;
# otherwise prints the exact command to run and exits 1.
set -euo pipefail

cd "$(dirname "$0")/.."

# package -> binaries it provides (alternatives separated by |)
declare -A BINARIES=(
  [prometheus]="prometheus promtool"
  [prometheus-pushgateway]="prometheus-pushgateway|pushgateway"
  [prometheus-alertmanager]="prometheus-alertmanager|alertmanager amtool"
  # CHROMIUM names another Chromium-based browser to use instead (e.g. Chrome on GitHub's Ubuntu runners).
  [chromium]="${CHROMIUM:-chromium}"
  [cmark-gfm]="cmark-gfm"
  # a real forward proxy for __tests__/e2e/proxy.e2e.test.ts
  [tinyproxy]="tinyproxy"
)

have() {
  local alt
  local -a alts
  IFS='|' read -ra alts <<<"$1"
  for alt in "${alts[@]}"; do
    if command -v "$alt" >/dev/null 2>&1; then
      echo "$(command -v "$alt")"
      return 0
    fi
  done
  return 1
}

missing=()
for pkg in prometheus prometheus-pushgateway prometheus-alertmanager chromium cmark-gfm tinyproxy; do
  ok=1
  for bin in ${BINARIES[$pkg]}; do
    if path=$(have "$bin"); then
      echo "found: $path ($pkg)"
    else
      echo "missing: ${bin//|/ or } ($pkg)"
      ok=0
    fi
  done
  if [[ $ok -eq 0 ]]; then missing+=("$pkg"); fi
done

if [[ ${#missing[@]} -gt 0 ]]; then
  cmd="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "not root: run this as root, then re-run this script:"
    echo "  $cmd"
    exit 1
  fi
  echo "installing: ${missing[*]}"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  echo "installed: ${missing[*]}"
else
  echo "ok: Debian packages present (Prometheus, Pushgateway, Alertmanager, Chromium, cmark-gfm, tinyproxy)"
fi

node24=tools/node24/node_modules/.bin/node
if [[ -x $node24 ]]; then
  echo "found: Node $("$node24" --version) ($node24)"
else
  echo "installing: Node 24 into tools/node24 (npm install)"
  (cd tools/node24 && npm install --no-audit --no-fund)
  echo "installed: Node $("$node24" --version) ($node24)"
fi
