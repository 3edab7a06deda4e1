#!/usr/bin/env bash
# Usage: Scripts/with-watchdog.sh SECONDS COMMAND [ARGUMENT...]
#
# Runs COMMAND; if it is still running after SECONDS, prints where every thread of it and of its
# child processes waits (one line per thread, innermost frame first, via gdb), kills it and fails
# with 124. A hung test then fails CI quickly and says where it hung, instead of running into CI's
# time limit with nothing to show (CI keeps only the tail of the output, hence one line a thread).
set -uo pipefail
limit=$1
shift

descendants() {
  local child
  for child in $(pgrep -P "$1"); do
    echo "$child"
    descendants "$child"
  done
}

"$@" &
command_pid=$!
started=$SECONDS
while kill -0 "$command_pid" 2>/dev/null; do
  if (( SECONDS - started >= limit )); then
    echo "with-watchdog: '$*' still running after ${limit} s; where each thread waits:" >&2
    for pid in $command_pid $(descendants "$command_pid"); do
      echo "--- process $pid: $(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | cut -c1-160)" >&2
      if command -v gdb >/dev/null 2>&1; then
        # `bt` lines look like `#3  0x… in Module.function(…) () at file:line`: keep the function names.
        # Then flush the process's stdio: piped output is block-buffered, and what a killed
        # process had not flushed (the last tests it reported) would be lost.
        gdb -p "$pid" -batch -ex 'thread apply all bt 40' -ex 'call (int)fflush(0)' 2>/dev/null | awk '
          /^Thread / { if (line != "") print line; line = "thread " $2 ":"; next }
          /^#[0-9]+/ {
            name = $0
            sub(/^#[0-9]+ +(0x[0-9a-f]+ in )?/, "", name)
            sub(/ \(.*$/, "", name)
            if (length(name) > 90) name = substr(name, 1, 90) "…"
            line = line " < " name
          }
          END { if (line != "") print line }' >&2
      else
        echo "(gdb is not installed: no backtraces)" >&2
      fi
    done
    for pid in $(descendants "$command_pid") $command_pid; do kill -9 "$pid" 2>/dev/null; done
    wait "$command_pid" 2>/dev/null
    exit 124
  fi
  sleep 2
done
wait "$command_pid"
