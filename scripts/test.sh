#!/usr/bin/env bash
# The tests, on a fresh machine: installs what they need that cargo does not fetch (the official
# Genesys Cloud Python SDK, a client nobody here wrote, which one test drives against the
# emulator; and Debian's Chromium, in which one test opens an HTML report), then runs
# `cargo test --workspace`. Extra arguments go to cargo test.
set -euo pipefail
cd "$(dirname "$0")/.."

SDK_VERSION=269.0.0
if ! python3 -c 'import PureCloudPlatformClientV2' 2>/dev/null; then
  echo "== installing purecloudplatformclientv2 $SDK_VERSION (the official Python SDK)"
  python3 -m pip install --quiet --disable-pip-version-check "purecloudplatformclientv2==$SDK_VERSION"
fi

if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing chromium (Debian's package)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "scripts/test.sh: chromium is missing; install Debian's chromium package (as root)" >&2
    exit 1
  fi
fi

cargo test --workspace --locked "$@"
