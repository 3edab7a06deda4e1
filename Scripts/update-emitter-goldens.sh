#!/bin/sh
# Regenerates the emitter goldens even when the committed ones do not compile (the
# HurdIDLCompiledGoldens* test targets compile every golden, and the build plugin generates the
# round-trip interfaces with the current emitter, so bad output would stop `swift test` from
# building). The manifest leaves those targets out while HURDIDL_WITHOUT_ROUNDTRIP_TESTS is set;
# the C struct round trip's generated file (docs/c-import.md) is then rewritten by the CLI.
set -eu
cd "$(dirname "$0")/.."
HURDIDL_WITHOUT_ROUNDTRIP_TESTS=1 HURDIDL_UPDATE_GOLDENS=1 swift test --filter HurdIDLEmitterTests || true
swift build --product hurdidl
.build/debug/hurdidl generate --c-structs --output-dir Tests/HurdIDLCStructRoundTripTests \
  Tests/HurdIDLCStructRoundTripTests/cstructs.defs
