#!/usr/bin/env bash
# Builds a libFuzzer target and runs it for SECONDS (default 60): `run.sh [SECONDS] [TARGET]`,
# TARGET = FuzzFrontEnd (default; seeds in corpus/) or FuzzDemux (no seeds needed).
# The toolchain's lld links it: the default gold linker crashes on the instrumented objects.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
target=${2:-FuzzFrontEnd}
toolset=$(mktemp -d)/toolset.json
printf '{ "schemaVersion": "1.0", "linker": { "path": "%s" } }\n' "$(dirname "$(readlink -f "$(command -v swift)")")/ld.lld" > "$toolset"
swift build -c release --product "$target" -Xswiftc -sanitize=fuzzer,address --toolset "$toolset"
if [ "$target" = FuzzFrontEnd ]; then
  mkdir -p out
  "$(swift build -c release --show-bin-path)/FuzzFrontEnd" out corpus -max_len=4096 -timeout=5 -max_total_time="$seconds"
else
  mkdir -p "out-$target"
  "$(swift build -c release --show-bin-path)/$target" "out-$target" -max_len=4096 -timeout=5 -max_total_time="$seconds"
fi
