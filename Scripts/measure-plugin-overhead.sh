#!/usr/bin/env bash
# Measures what the build plugin costs on a no-op rebuild: Examples/Echo as it is (plugin) against
# a copy whose generated Swift is committed (plugin removed, echo.defs excluded). Prints the
# median of RUNS no-op `swift build` wall times for each (docs/plugin.md records the result).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-9}
committed=Examples/.echo-committed
trap 'rm -rf "$committed"' EXIT
rm -rf "$committed"
mkdir -p "$committed"
cp -R Examples/Echo/Package.swift Examples/Echo/Sources "$committed"/
swift build --product hurdidl >/dev/null
"$(swift build --show-bin-path)/hurdidl" generate "$committed/Sources/Echo/echo.defs" \
  --output-dir "$committed/Sources/Echo/Generated"
# The same target without the plugin line, excluding echo.defs.
sed -i -e '/plugins: \[.plugin(name: "HurdIDLPlugin"/d' \
  -e 's|swiftSettings: \[.swiftLanguageMode(.v6), .treatAllWarnings(as: .error)\],|exclude: ["echo.defs"], swiftSettings: [.swiftLanguageMode(.v6), .treatAllWarnings(as: .error)]),|' \
  "$committed/Package.swift"

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

plugin=$(median_noop Examples/Echo)
without=$(median_noop "$committed")
echo "no-op swift build, median of $runs: with the plugin ${plugin} ms, with committed sources ${without} ms"
echo "plugin overhead: $((plugin - without)) ms"
