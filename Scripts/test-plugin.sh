#!/usr/bin/env bash
# Tests the SwiftPM plugins as a user meets them, on a copy of Tests/PluginPackage:
#   1. the command plugin writes Generated/counter.hurdidl.swift into the source tree;
#   2. the build plugin generates a/hello.defs and b/hello.defs (same name, different folders)
#      without a collision, and the package builds and runs;
#   3. a build with nothing changed runs no generation;
#   4. editing a .defs, and editing a file it includes, regenerates;
#   5. an error in a .defs fails the build with the .defs' path:line:col;
#   6. a hurdidl.json with an unknown key fails the build naming the key.
# The copy and its build folder stay in .build-plugin-test/ so later runs are incremental.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work="$root/.build-plugin-test"
package="$work/PluginPackage"
rm -rf "$package"
mkdir -p "$work"
cp -R Tests/PluginPackage "$package"
export HURDIDL_PACKAGE="$root"
swiftpm=(--package-path "$package" --scratch-path "$work/scratch")
outputs="$work/scratch/plugins/outputs/pluginpackage/App/destination/HurdIDLPlugin"
log="$work/log"

fail() { echo "test-plugin: FAIL: $*" >&2; echo "--- build output:" >&2; cat "$log" >&2; exit 1; }
# Verbose, so each generation shows as its command line ("hurdidl-tool generate <input> …"); the
# short form prints "hurdidl: hello.defs" once for both inputs.
build() { swift build -v "${swiftpm[@]}" >"$log" 2>&1; }
generated() { grep -q "hurdidl-tool generate $package/Sources/App/$1 " "$log"; }
expect_in_log() { grep -qF -- "$1" "$log" || fail "expected '$1' in the build output"; }

echo "== command plugin: generated code into the source tree"
swift package "${swiftpm[@]}" --allow-writing-to-package-directory generate-hurdidl-sources --target Committed >"$log" 2>&1 \
  || fail "the command plugin failed"
grep -q "enum Counter" "$package/Sources/Committed/Generated/counter.hurdidl.swift" || fail "no Generated/counter.hurdidl.swift"

echo "== build plugin: two hello.defs in different folders"
build || fail "the first build failed"
for name in a_hello b_hello; do
  [ -f "$outputs/$name.hurdidl.swift" ] || fail "$name.hurdidl.swift was not generated"
done
run_output=$(swift run "${swiftpm[@]}" --skip-build App 2>&1) || fail "App did not run: $run_output"
[ "$run_output" = "generated: greeter (base 100), farewell (base 200)" ] || fail "App printed: $run_output"

echo "== unchanged rebuild runs no generation"
build || fail "the no-op build failed"
if generated a/hello.defs || generated b/hello.defs; then fail "an unchanged build regenerated"; fi

echo "== editing a .defs regenerates"
echo "routine greet_twice(server: port_t; out n: int32);" >>"$package/Sources/App/a/hello.defs"
build || fail "the build after an edit failed"
generated a/hello.defs || fail "a/hello.defs was not regenerated"
grep -q "func greetTwice(" "$outputs/a_hello.hurdidl.swift" || fail "the edit did not reach a_hello.hurdidl.swift"

echo "== editing an included file regenerates its includers"
echo "type int16 = MACH_MSG_TYPE_INTEGER_16;" >>"$package/Sources/App/include/common.defs"
build || fail "the build after an include edit failed"
generated a/hello.defs && generated b/hello.defs || fail "the includers of common.defs were not regenerated"

echo "== an error in a .defs fails the build at its path:line:col"
echo "routine broken(server: port_t; x: no_such_t);" >>"$package/Sources/App/b/hello.defs"
if build; then fail "a broken .defs built"; fi
expect_in_log "$package/Sources/App/b/hello.defs:4:35: error: unknown type 'no_such_t'"
sed -i '$d' "$package/Sources/App/b/hello.defs"

echo "== a config with an unknown key fails naming it"
printf '{\n  "includePaths": ["include"],\n  "sidez": ["client"]\n}\n' >"$package/Sources/App/hurdidl.json"
if build; then fail "a config with an unknown key built"; fi
expect_in_log "$package/Sources/App/hurdidl.json:3:3: error: unknown key 'sidez'"

echo "test-plugin: all plugin checks passed"
