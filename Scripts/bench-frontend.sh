#!/usr/bin/env bash
# Front-end throughput, side by side with GNU MIG (issue 2's benchmark):
#   hurdidl check on all 25 gnumach-dev .defs files in one process (release build)
#   vs. x86_64-gnu-mig -n on the 19 interface files, one after another (what a build does).
# Prints hyperfine's table and the ratio; docs/performance.md records the result.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-deps.sh
command -v hyperfine >/dev/null 2>&1 || { apt-get install -y -qq hyperfine >/dev/null || sudo apt-get install -y -qq hyperfine; }
swift build -c release --product hurdidl >/dev/null
hurdidl="$(swift build -c release --show-bin-path)/hurdidl"
inc=/usr/include/x86_64-linux-gnu
all=$(find "$inc/mach" "$inc/device" "$inc/mach_debug" -name '*.defs' | sort)
interfaces=$(for f in $all; do if grep -qi "^[[:space:]]*subsystem" "$f"; then echo "$f"; fi; done)
echo "files: $(echo "$all" | wc -l) for hurdidl, $(echo "$interfaces" | wc -l) interface files for GNU MIG"
out=$(mktemp -d)
mig_loop="cd $out && for f in $(echo $interfaces); do x86_64-gnu-mig -n -I$inc -D__x86_64__ -D__LP64__ \$f; done"
hyperfine --warmup 3 --runs 20 --export-json "$out/result.json" \
  -n "hurdidl check (25 files, 1 process)" "$hurdidl check -I $inc $(echo $all)" \
  -n "GNU MIG -n (19 files, sequential)" "bash -c '$mig_loop'"
python3 - "$out/result.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
ours, mig = r[0]["median"], r[1]["median"]
print(f"median: hurdidl {ours*1000:.1f} ms, GNU MIG {mig*1000:.1f} ms -> hurdidl is {mig/ours:.1f}x faster")
PY
