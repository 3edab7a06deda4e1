#!/bin/sh
# Generates Swift for every gnumach-dev interface (client and server, each flag set) and compiles
# the files of each run into one module against the built HurdRPC module with the strict settings
# (Swift 6, warnings as errors, ExistentialAny): object file and .swiftmodule, whole module,
# -Onone, as a debug build does (this also runs the SIL diagnostics that -typecheck skips).
# Needs `swift build --product hurdidl --target HurdRPC` first.
set -eu
cd "$(dirname "$0")/.."
include=/usr/include/x86_64-linux-gnu
out=$(mktemp -d)
objects=$(mktemp -d)
trap 'rm -rf "$out" "$objects"' EXIT
files=$(cd "$include" && ls device/*.defs mach/*.defs mach/x86_64/*.defs mach_debug/*.defs | grep -v '_types.defs$')
status=0
for flags in "" "-DKERNEL_USER" "-DKERNEL_SERVER" "-DSEQNOS"; do
  for access in internal public; do
    rm -rf "$out"/* "$objects"/*
    # shellcheck disable=SC2086
    (cd "$include" && "$OLDPWD"/.build/debug/hurdidl generate $files -I "$include" $flags \
      --access-level "$access" --output-dir "$out" --no-source-lines 2>/dev/null) || status=1
    if ! swiftc -emit-object -whole-module-optimization -Onone -parse-as-library \
      -swift-version 6 -warnings-as-errors -enable-upcoming-feature ExistentialAny \
      -module-name GeneratedGNUMach -I .build/debug/Modules \
      -o "$objects"/GeneratedGNUMach.o -emit-module -emit-module-path "$objects"/GeneratedGNUMach.swiftmodule \
      "$out"/*.swift; then
      echo "FAILED: flags ${flags:-none}, access $access"
      status=1
    fi
    echo "compiled $(ls "$out" | wc -l) files (flags: ${flags:-none}, access: $access)"
  done
done
exit $status
