#!/bin/sh
# Regenerates the Swift the stub benchmarks compile (Generated/) from stubbench.defs with the
# hurdidl CLI of this checkout. Run after changing the emitter or the interface; commit the result.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
swift build --package-path "$root" --product hurdidl
"$(swift build --package-path "$root" --show-bin-path)/hurdidl" generate "$here/stubbench.defs" \
  -I /usr/include/x86_64-linux-gnu --output-dir "$here/Generated"
