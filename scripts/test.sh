#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs what the tests need, then cargo test.
# Later layers (IMAP, SMTP) add their Debian packages to NEEDED_PACKAGES.
set -euo pipefail
cd "$(dirname "$0")/.."

NEEDED_PACKAGES=(dovecot-imapd dovecot-lmtpd openssl postfix postgresql)
missing=()
for pkg in "${NEEDED_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing ${missing[*]}"
  apt-get update -qq
  # Postfix's "No configuration" answer installs it without starting a system instance or
  # writing /etc/postfix/main.cf; the tests run their own instances (tests/common/postfix.rs).
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  # PostgreSQL: no system cluster is created (createcluster.conf) nor started (policy-rc.d
  # refuses every service start during the install); the tests run their own
  # (tests/common/postgres.rs: initdb in a temporary directory).
  if [[ " ${missing[*]} " == *" postgresql "* ]]; then
    mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/duebox-tests.conf
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
      chmod +x /usr/sbin/policy-rc.d
      remove_policy=1
    fi
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  if [ -n "${remove_policy:-}" ]; then rm -f /usr/sbin/policy-rc.d; fi
fi

# Cyrus IMAP, the second real server of the IMAP tests, is unpacked rather than installed (its
# package conflicts with dovecot-imapd); tests/common/cyrus.rs runs it from there.
scripts/fetch-cyrus.sh >/dev/null

# No doc tests exist (examples live in tests/), so that target is skipped. The last line totals
# every test binary, so the run closes on the real count rather than on the last binary's.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --locked --lib --bins --tests "$@" 2>&1 | tee "$log"
awk '/^test result:/ { p += $4; f += $6; s += $8 }
     END { printf "\nall tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
