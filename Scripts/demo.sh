#!/usr/bin/env bash
# The README's first command: runs the main job on an example.
#   1. hurdidl generate: Examples/FileIO/Sources/FileIO/io.defs → Swift client stubs and server
#      demux table, with the CLI, into a temporary folder, to show what is generated;
#   2. swift run Examples/FileIO: a file server and its client in one process, calling each other
#      through the same generated code — generated during the build by the SwiftPM plugin — over
#      the L4 in-process backend;
#   3. hurdidl check on a broken interface, to show what diagnostics look like.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-deps.sh
swift build --product hurdidl
hurdidl="$(swift build --show-bin-path)/hurdidl"
inc=/usr/include/x86_64-linux-gnu
io=Examples/FileIO/Sources/FileIO/io.defs
example=Examples/Interfaces/fs.defs
generated=$(mktemp -d)
trap 'rm -rf "$generated"' EXIT

echo "== hurdidl generate $io"
"$hurdidl" generate -I Examples/Interfaces -I "$inc" --output-dir "$generated" "$io"
echo "wrote io.hurdidl.swift ($(wc -l < "$generated/io.hurdidl.swift") lines); its client method for io_read:"
awk '/^  func ioRead\(/ { found = 1 } found { print } found && /^  }/ { exit }' "$generated/io.hurdidl.swift"
echo
echo "== swift run (Examples/FileIO): the build plugin generates io.defs, then client ↔ server round trips"
# Older versions of this script wrote the generated file into the example; it would now be a
# second copy of what the plugin generates.
rm -rf Examples/FileIO/Sources/FileIO/Generated
swift run --package-path Examples/FileIO FileIO 2>&1 | grep -v -E '^\[[0-9]+/[0-9]+\]|^Building|^Build of|^Compiling|^Write|^Planning|^Fetch|^Comput|^Creating|^Working copy'
echo
echo "== hurdidl check on a broken interface (a missing ';' and an unknown include)"
broken=$generated/broken/broken.defs
mkdir -p "$(dirname "$broken")"
sed -e 's/flags: int;/flags: int/' -e 's/"fs_types.defs"/"fs_types.defs"\n#include "no_such_file.defs"/' "$example" > "$broken"
cp Examples/Interfaces/fs_types.defs "$(dirname "$broken")/"
if "$hurdidl" check -I "$inc" "$broken"; then echo "unexpected success" >&2; exit 1; fi
echo "(exit status 1, as expected)"
