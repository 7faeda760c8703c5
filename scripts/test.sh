#!/usr/bin/env bash
# The tests, on a fresh machine: installs what they need that cargo does not fetch (the official
# Genesys Cloud Python SDK, a client nobody here wrote, which one test drives against the
# emulator; Debian's Chromium, in which one test opens an HTML report; and Debian's redis-server,
# which the coordinator's tests start), then runs
# `cargo test --workspace`. Extra arguments go to cargo test.
set -euo pipefail
cd "$(dirname "$0")/.."

SDK_VERSION=269.0.0
if ! python3 -c 'import PureCloudPlatformClientV2' 2>/dev/null; then
  echo "== installing purecloudplatformclientv2 $SDK_VERSION (the official Python SDK)"
  python3 -m pip install --quiet --disable-pip-version-check "purecloudplatformclientv2==$SDK_VERSION"
fi

# Debian packages the tests start themselves: Chromium (one test opens an HTML report in it) and
# redis-server (the coordinator's tests each start their own on a free loopback port).
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v redis-server >/dev/null || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing ${missing[*]} (Debian's packages)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "scripts/test.sh: missing ${missing[*]}; install Debian's packages (as root)" >&2
    exit 1
  fi
fi

cargo test --workspace --locked "$@"
