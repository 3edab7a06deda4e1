#!/usr/bin/env bash
# Builds the libFuzzer target and runs it for SECONDS (default 60) on the seed corpus.
# The toolchain's lld links it: the default gold linker crashes on the instrumented objects.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
toolset=$(mktemp -d)/toolset.json
printf '{ "schemaVersion": "1.0", "linker": { "path": "%s" } }\n' "$(dirname "$(readlink -f "$(command -v swift)")")/ld.lld" > "$toolset"
swift build -c release -Xswiftc -sanitize=fuzzer,address --toolset "$toolset"
mkdir -p out
"$(swift build -c release --show-bin-path)/FuzzFrontEnd" out corpus -max_len=4096 -timeout=5 -max_total_time="$seconds"
