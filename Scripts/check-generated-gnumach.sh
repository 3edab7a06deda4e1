#!/bin/sh
# Generates Swift for every gnumach-dev interface (client and server, each flag set) and
# type-checks each file against the built HurdRPC module with the strict settings (Swift 6,
# warnings as errors, ExistentialAny). Needs `swift build --product hurdidl --target HurdRPC` first.
set -eu
cd "$(dirname "$0")/.."
include=/usr/include/x86_64-linux-gnu
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
files=$(cd "$include" && ls device/*.defs mach/*.defs mach/x86_64/*.defs mach_debug/*.defs | grep -v '_types.defs$')
status=0
for flags in "" "-DKERNEL_USER" "-DKERNEL_SERVER" "-DSEQNOS"; do
  for access in internal public; do
    rm -rf "$out"/*
    # shellcheck disable=SC2086
    (cd "$include" && "$OLDPWD"/.build/debug/hurdidl generate $files -I "$include" $flags \
      --access-level "$access" --output-dir "$out" --no-source-lines 2>/dev/null) || status=1
    for file in "$out"/*.swift; do
      if ! swiftc -typecheck -swift-version 6 -warnings-as-errors -enable-upcoming-feature ExistentialAny \
        -I .build/debug/Modules "$file"; then
        echo "FAILED: $file ($flags, $access)"
        status=1
      fi
    done
    echo "checked $(ls "$out" | wc -l) files (flags: ${flags:-none}, access: $access)"
  done
done
exit $status
