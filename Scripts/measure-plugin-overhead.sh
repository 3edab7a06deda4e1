#!/usr/bin/env bash
# Measures what the build plugin costs on a no-op rebuild of an example package (default Echo):
# the example as it is (plugin) against a copy whose generated Swift is committed (written by the
# command plugin, the build plugin taken out of the manifest). Prints the median of RUNS no-op
# `swift build` wall times for each; docs/plugin.md records the results.
#   Scripts/measure-plugin-overhead.sh [ExampleName]     (RUNS=9 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
example=${1:-Echo}
runs=${RUNS:-9}
# Beside the example, so that its `.package(path: "../..")` still reaches hurdidl.
committed=Examples/.$example-committed
trap 'rm -rf "$committed"' EXIT
rm -rf "$committed"
mkdir -p "$committed"
cp -R "Examples/$example/Package.swift" "Examples/$example/Sources" "$committed"/
swift package --package-path "$committed" --allow-writing-to-package-directory generate-hurdidl-sources >/dev/null
perl -0pi -e 's/,\s*plugins:\s*\[\s*\.plugin\(name:\s*"HurdIDLPlugin"[^\]]*\]//g' "$committed/Package.swift"
if grep -q HurdIDLPlugin "$committed/Package.swift"; then
  echo "measure-plugin-overhead: could not take the plugin out of $committed/Package.swift" >&2
  exit 1
fi

median_noop() {
  local folder=$1 times=()
  swift build --package-path "$folder" >/dev/null 2>&1
  swift build --package-path "$folder" >/dev/null 2>&1
  for _ in $(seq "$runs"); do
    local start
    start=$(date +%s%N)
    swift build --package-path "$folder" >/dev/null 2>&1
    times+=($((($(date +%s%N) - start) / 1000000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p"
}

plugin=$(median_noop "Examples/$example")
without=$(median_noop "$committed")
echo "Examples/$example, no-op swift build, median of $runs: with the plugin ${plugin} ms, with committed sources ${without} ms"
echo "plugin overhead: $((plugin - without)) ms"
