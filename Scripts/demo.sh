#!/usr/bin/env bash
# The README's first command: runs the main job on an example.
#   1. hurdidl generate: Examples/Interfaces/io.defs → Swift client stubs and server demux table;
#   2. swift run Examples/FileIO: a file server and its client in one process, calling each other
#      through the generated code over the L4 in-process backend;
#   3. swift run Examples/Echo: the same through the SwiftPM build plugin, which generates the
#      Swift from echo.defs during the build;
#   4. hurdidl check on a broken interface, to show what diagnostics look like.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-deps.sh
swift build --product hurdidl
hurdidl="$(swift build --show-bin-path)/hurdidl"
inc=/usr/include/x86_64-linux-gnu
example=Examples/Interfaces/fs.defs

echo "== hurdidl generate Examples/Interfaces/io.defs"
generated=Examples/FileIO/Sources/FileIO/Generated
"$hurdidl" generate -I "$inc" --output-dir "$generated" Examples/Interfaces/io.defs
echo "wrote $generated/io.hurdidl.swift ($(wc -l < "$generated/io.hurdidl.swift") lines)"
echo
echo "== swift run (Examples/FileIO): client ↔ server round trips"
swift run --package-path Examples/FileIO FileIO 2>&1 | grep -v -E '^\[[0-9]+/[0-9]+\]|^Building|^Build of|^Compiling|^Write|^Planning|^Fetch|^Comput|^Creating|^Working copy'
echo
echo "== swift run (Examples/Echo): echo.defs → Swift by the build plugin during the build"
swift run --package-path Examples/Echo Echo 2>&1 | grep -v -E '^\[[0-9]+/[0-9]+\]|^Building|^Build of|^Compiling|^Write|^Planning|^Fetch|^Comput|^Creating|^Working copy'
echo
echo "== hurdidl check on a broken interface (a missing ';' and an unknown include)"
broken=$(mktemp -d)/broken.defs
sed -e 's/flags: int;/flags: int/' -e 's/"fs_types.defs"/"fs_types.defs"\n#include "no_such_file.defs"/' "$example" > "$broken"
cp Examples/Interfaces/fs_types.defs "$(dirname "$broken")/"
if "$hurdidl" check -I "$inc" "$broken"; then echo "unexpected success" >&2; exit 1; fi
echo "(exit status 1, as expected)"
