#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs what the tests need, then cargo test.
# Later layers (IMAP, SMTP) add their Debian packages to NEEDED_PACKAGES.
set -euo pipefail
cd "$(dirname "$0")/.."

NEEDED_PACKAGES=()
missing=()
for pkg in "${NEEDED_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

cargo test --locked "$@"
