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

# No MiniHurd server process may be running (zombies waiting for a reaper have exited).
check_no_servers_left() {
  local when=$1 pid state
  for pid in $(pgrep -f "^$minihurd serve"); do
    state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo gone)
    if [ "$state" != Z ] && [ "$state" != gone ]; then
      echo "test-examples: MiniHurd --processes left server processes running $when:" >&2
      pgrep -af "^$minihurd serve" >&2; exit 1
    fi
  done
}
check_no_servers_left "after the story"

# Starts `MiniHurd --processes --pause-before STEP` in the background (its standard input a FIFO
# held open on fd 3) and waits until it has paused: sets $story (its pid) and $scratch.
start_paused_story() {
  scratch=$(mktemp -d)
  mkfifo "$scratch/in"
  "$minihurd" --processes --pause-before "$1" <"$scratch/in" >"$scratch/out" 2>"$scratch/err" &
  story=$!
  exec 3>"$scratch/in"
  for _ in $(seq 300); do grep -q paused "$scratch/err" && return; sleep 0.1; done
  echo "test-examples: MiniHurd --processes --pause-before $1 did not pause" >&2; cat "$scratch/err" >&2; exit 1
}

echo "== MiniHurd --processes: a server killed mid-story"
start_paused_story 2
kill -9 "$(pgrep -P "$story" -f "serve fs")"
echo >&3; exec 3>&-
if wait "$story"; then echo "test-examples: MiniHurd went on without its file server" >&2; exit 1; fi
# Depending on when alice's process notices, its next call meets a dead name or a dead server.
grep -qE "dead name|serverDied|capability died|nonExistingPartner" "$scratch/err" || { echo "test-examples: unexpected failure:" >&2; cat "$scratch/err" >&2; exit 1; }
check_no_servers_left "after its file server was killed"
rm -rf "$scratch"

echo "== MiniHurd --processes: the example itself killed mid-story"
start_paused_story 3
servers=$(pgrep -P "$story")
bootstrap=$(pgrep -af -P "$story" | grep -o -- "--bootstrap [^ ]*" | head -1 | cut -d" " -f2)
kill -9 "$story"; wait "$story" 2>/dev/null || true; exec 3>&-
for _ in $(seq 50); do
  alive=0
  for pid in $servers; do
    state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo gone)
    [ "$state" = Z ] || [ "$state" = gone ] || alive=1
  done
  [ $alive = 0 ] && break
  sleep 0.1
done
[ $alive = 0 ] || { echo "test-examples: server processes outlived a killed MiniHurd: $servers" >&2; exit 1; }
rm -rf "$scratch" "$(dirname "$bootstrap")"  # a killed story cannot remove its bootstrap socket
echo "test-examples: all examples ran as expected"
