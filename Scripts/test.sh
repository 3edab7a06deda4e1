#!/usr/bin/env bash
# The test command of the README: installs what the tests need, builds everything with warnings
# as errors, runs the whole test suite, the plugin and example checks, then the runtime and L4 tests again under ThreadSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-deps.sh
swift build --build-tests
# Each test run has a watchdog: locally the suite takes about a minute (two under load), so 15
# minutes means a hang; the watchdog then prints every thread's stack and fails.
Scripts/with-watchdog.sh 900 swift test --skip-build --disable-xctest
# The SwiftPM plugins as a user meets them, and the example packages (own build folders).
# (Each builds packages of its own: 25 minutes means a hang.)
Scripts/with-watchdog.sh 1500 Scripts/test-plugin.sh
Scripts/with-watchdog.sh 1500 Scripts/test-examples.sh
# Runtime, backends and the generated code running on them must be data-race free; TSan builds
# in its own folder. (The round-trip suites add ~8 s here: `swift test` builds every test target
# anyway; the compiler-driven suites of that target are left out.)
swift build --build-tests --sanitize=thread --scratch-path .build-tsan
Scripts/with-watchdog.sh 900 swift test --skip-build --disable-xctest --sanitize=thread --scratch-path .build-tsan \
  --filter 'HurdRPC|HurdIDLRoundTripTests\.(RoundTripTests|KindsTests|ObjectsTests|TranslationTests|SocketPortTests|SocketCapPortTests|HostileRequestTests|RawSocketHostileTests)/'
