#!/usr/bin/env bash
# Installs what the integration tests need, when it is missing:
#   - Debian's prometheus (with promtool), prometheus-pushgateway and
#     prometheus-alertmanager (with amtool): real binaries the tests start on
#     127.0.0.1 (tools/services);
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
for pkg in prometheus prometheus-pushgateway prometheus-alertmanager; do
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
  echo "ok: Debian Prometheus packages present"
fi

node24=tools/node24/node_modules/.bin/node
if [[ -x $node24 ]]; then
  echo "found: Node $("$node24" --version) ($node24)"
else
  echo "installing: Node 24 into tools/node24 (npm install)"
  (cd tools/node24 && npm install --no-audit --no-fund)
  echo "installed: Node $("$node24" --version) ($node24)"
fi
