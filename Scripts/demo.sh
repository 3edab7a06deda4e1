#!/usr/bin/env bash
# The README's first command: runs the main job on an example interface.
# Today the compiler's front end is what ships, so this preprocesses, checks and dumps the AST of
# Examples/Interfaces/fs.defs (a Hurd-style dir_lookup/io_read/io_write interface), then shows
# what a broken interface gets back. It becomes generate-and-run when code generation lands.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-deps.sh
swift build --product hurdidl
hurdidl="$(swift build --show-bin-path)/hurdidl"
inc=/usr/include/x86_64-linux-gnu
example=Examples/Interfaces/fs.defs

echo "== hurdidl check $example"
"$hurdidl" check -I "$inc" "$example" && echo "(clean)"
echo
echo "== hurdidl dump ast --format text $example"
"$hurdidl" dump ast --format text -I "$inc" "$example"
echo
echo "== a broken interface: the same file with a missing ';' and an unknown include"
broken=$(mktemp -d)/broken.defs
sed -e 's/flags: int;/flags: int/' -e 's/"fs_types.defs"/"fs_types.defs"\n#include "no_such_file.defs"/' "$example" > "$broken"
cp Examples/Interfaces/fs_types.defs "$(dirname "$broken")/"
if "$hurdidl" check -I "$inc" "$broken"; then echo "unexpected success" >&2; exit 1; fi
echo "(exit status 1, as expected)"
