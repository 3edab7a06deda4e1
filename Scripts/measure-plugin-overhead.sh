#!/usr/bin/env bash
# Measures what the build plugin costs on a no-op rebuild: an example package as it is (plugin)
# against a copy whose generated Swift is committed (written by the command plugin, the build
# plugin removed, the .defs and hurdidl.json excluded). Prints the median of RUNS no-op
# `swift build` wall times for each (docs/plugin.md records the results).
# Usage: Scripts/measure-plugin-overhead.sh [EXAMPLE]   (default MiniHurd; also Echo, FileIO)
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
example=${1:-MiniHurd}
runs=${RUNS:-9}
committed=Examples/.$example-committed
trap '[ -n "${KEEP:-}" ] || rm -rf "$committed"' EXIT
rm -rf "$committed"
mkdir -p "$committed"
cp -R "Examples/$example/Package.swift" "Examples/$example/Sources" "$committed"/
# Commit the generated Swift as a user would: the command plugin writes Sources/<target>/Generated.
swift package --package-path "$committed" --allow-writing-to-package-directory generate-hurdidl-sources >/dev/null
# The same target without the plugin line, excluding what only the plugin reads.
target=Sources/$example
excluded=$(cd "$committed/$target" && find . -path ./Generated -prune -o \( -name '*.defs' -o -name hurdidl.json \) -print |
  sed 's|^\./||' | sort | sed 's/.*/"&"/' | paste -sd, -)
sed -i -e "s|plugins: \[.plugin(name: \"HurdIDLPlugin\", package: hurdidl)\])|)|" \
  -e "s|swiftSettings: \[|exclude: [$excluded], swiftSettings: [|" "$committed/Package.swift"
grep -q 'exclude:' "$committed/Package.swift" || { echo "measure-plugin-overhead: could not remove the plugin" >&2; exit 1; }

median_noop() {
  local folder=$1 times=()
  swift build --package-path "$folder" >/dev/null
  swift build --package-path "$folder" >/dev/null
  for _ in $(seq "$runs"); do
    local start
    start=$(date +%s%N)
    swift build --package-path "$folder" >/dev/null
    times+=($((($(date +%s%N) - start) / 1000000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p"
}

plugin=$(median_noop "Examples/$example")
without=$(median_noop "$committed")
echo "Examples/$example, no-op swift build, median of $runs: with the plugin ${plugin} ms, with committed sources ${without} ms"
echo "plugin overhead: $((plugin - without)) ms"
