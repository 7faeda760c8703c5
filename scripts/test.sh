#!/usr/bin/env bash
# The tests, on a fresh machine: installs what they need that cargo does not fetch (the official
# Genesys Cloud Python SDK, a client nobody here wrote, which one test drives against the
# emulator), then runs `cargo test --workspace`. Extra arguments go to cargo test.
set -euo pipefail
cd "$(dirname "$0")/.."

SDK_VERSION=269.0.0
if ! python3 -c 'import PureCloudPlatformClientV2' 2>/dev/null; then
  echo "== installing purecloudplatformclientv2 $SDK_VERSION (the official Python SDK)"
  python3 -m pip install --quiet --disable-pip-version-check "purecloudplatformclientv2==$SDK_VERSION"
fi

cargo test --workspace --locked "$@"
