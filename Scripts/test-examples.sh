#!/usr/bin/env bash
# Builds and runs each example package as a user would (its own folder, hurdidl by path, the
# build plugin generating the Swift) and checks what it prints.
set -euo pipefail
cd "$(dirname "$0")/.."

check_example() {
  local name=$1 expected=$2 output
  shift 2  # the rest: arguments for the example
  echo "== Examples/$name: swift build && swift run $name $*"
  (cd "Examples/$name" && swift build) >/dev/null || { echo "test-examples: Examples/$name did not build" >&2; exit 1; }
  output=$(cd "Examples/$name" && swift run --skip-build "$name" "$@" 2>&1) || {
    echo "test-examples: Examples/$name $* failed:" >&2; echo "$output" >&2; exit 1; }
  if [ "$output" != "$expected" ]; then
    echo "test-examples: Examples/$name $* printed:" >&2; echo "$output" >&2
    echo "expected:" >&2; echo "$expected" >&2; exit 1
  fi
  echo "$output"
}

check_example Echo 'server: got "hello, Hurd"
client: got back "hello, Hurd"'
check_example FileIO 'client: io_write wrote 37 bytes
client: io_size says 37 bytes
client: io_read(offset: 6, amount: 4) -> "from"
server: io_sync(wait: true) from caller(1:1) — one-way, nobody waits for an answer
client: io_write at offset -1 failed as it should: returnCode(Hurd errno 22 (0x40000016))
done'
# MiniHurd's story is longer: its expected lines live next to it.
check_example MiniHurd "$(cat Examples/MiniHurd/expected-output.txt)"
# The same story with one process per server; none of them may outlive it.
check_example MiniHurd "$(cat Examples/MiniHurd/expected-output-processes.txt)" --processes
minihurd=$(cd Examples/MiniHurd && swift build --show-bin-path)/MiniHurd
if pgrep -f "^$minihurd serve" >/dev/null; then
  echo "test-examples: MiniHurd --processes left server processes running:" >&2
  pgrep -af "^$minihurd serve" >&2; exit 1
fi
echo "test-examples: all examples ran as expected"
