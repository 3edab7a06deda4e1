#!/bin/sh
# Regenerates the emitter goldens even when the committed ones do not compile (the round-trip
# test target compiles some of them, so a bad golden would stop `swift test` from building).
# The compiled copies are set aside while the goldens are rewritten, then put back.
# The C struct round trip (Tests/HurdIDLCStructRoundTripTests) compiles its generated file too: it
# is set aside the same way, then regenerated with the CLI (docs/c-import.md).
set -eu
cd "$(dirname "$0")/.."
parked=$(mktemp -d)
mkdir "$parked"/cstructs
trap 'mv "$parked"/CompiledGoldens "$parked"/*.swift Tests/HurdIDLRoundTripTests/ 2>/dev/null || true; mv "$parked"/cstructs/*.swift Tests/HurdIDLCStructRoundTripTests/ 2>/dev/null || true; rmdir "$parked"/cstructs "$parked" 2>/dev/null || true' EXIT
mv Tests/HurdIDLRoundTripTests/CompiledGoldens Tests/HurdIDLRoundTripTests/*.swift "$parked"/
mv Tests/HurdIDLCStructRoundTripTests/*.swift "$parked"/cstructs/
printf '// Placeholder while goldens are regenerated.\n' > Tests/HurdIDLRoundTripTests/Placeholder.swift
printf '// Placeholder while goldens are regenerated.\n' > Tests/HurdIDLCStructRoundTripTests/Placeholder.swift
HURDIDL_UPDATE_GOLDENS=1 swift test --filter HurdIDLEmitterTests || true
rm Tests/HurdIDLRoundTripTests/Placeholder.swift Tests/HurdIDLCStructRoundTripTests/Placeholder.swift
mv "$parked"/cstructs/*.swift Tests/HurdIDLCStructRoundTripTests/
swift build --product hurdidl
.build/debug/hurdidl generate --c-structs --output-dir Tests/HurdIDLCStructRoundTripTests \
  Tests/HurdIDLCStructRoundTripTests/cstructs.defs
