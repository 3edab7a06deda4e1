#!/usr/bin/env bash
# Installs the Debian packages the tests use as conformance oracles, when they are missing:
#   gnumach-dev     — the GNU Mach .defs interfaces every front-end test reads
#   mig-x86-64-gnu  — GNU MIG, the reference our planner is compared with
#   gcc             — the reference C preprocessor, and the compiler for MIG's output
#   libclang-dev    — libclang and its built-in headers, for the C import (`--c-check`, `import-c`);
#                     hurdidl builds without it and loads it at run time (docs/c-import.md)
#   procps          — pgrep, with which test-examples.sh checks that no MiniHurd server process
#                     outlives the example
#   gdb             — with-watchdog.sh prints where a hung test waits before failing it
set -euo pipefail
need=()
dpkg -s gnumach-dev >/dev/null 2>&1 || need+=(gnumach-dev)
dpkg -s mig-x86-64-gnu >/dev/null 2>&1 || need+=(mig-x86-64-gnu)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
dpkg -s libclang-dev >/dev/null 2>&1 || need+=(libclang-dev)
command -v pgrep >/dev/null 2>&1 || need+=(procps)
command -v gdb >/dev/null 2>&1 || need+=(gdb)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
echo "install-deps: installing ${need[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
