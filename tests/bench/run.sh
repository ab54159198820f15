#!/usr/bin/env bash
# Benchmarks (not part of npm test): installs the peers from Debian, then prints one JSON object per benchmark.
set -euo pipefail
cd "$(dirname "$0")/../.."
need=()
for pair in restic:restic borg:borgbackup qemu-img:qemu-utils /usr/bin/time:time chromium:chromium; do
  cmd=${pair%%:*}; pkg=${pair#*:}
  command -v "$cmd" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi
which="${1:-all}"
run() { echo "== $1" >&2; npx tsx "tests/bench/$1.ts"; }
case "$which" in
  all) for b in vhdx-read backup browser-topology; do [ -f "tests/bench/$b.ts" ] && run "$b"; done ;;
  *) run "$which" ;;
esac
