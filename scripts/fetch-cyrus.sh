#!/usr/bin/env bash
# Fetches Cyrus IMAP 3.6 from Debian and unpacks it, without installing it (the cyrus-imapd
# package conflicts with dovecot-imapd): `apt-get download` + `dpkg-deb -x` into a cache dir,
# from which tests/common/cyrus.rs runs its binaries with their own config. Idempotent; prints
# the directory. Usage: scripts/fetch-cyrus.sh [DIR]   (default: target/cyrus-imapd)
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${1:-${DUEBOX_CYRUS_DIR:-target/cyrus-imapd}}
mkdir -p "$(dirname "$dir")"
# Test binaries may ask at the same moment: one fetches, the others wait for it.
exec 9>"$dir.lock"
flock 9
if [ -x "$dir/root/usr/lib/cyrus/bin/master" ]; then
  echo "$dir"
  exit 0
fi

# Cyrus and the libraries it needs beyond what Dovecot and Postfix already bring (on Debian
# bookworm); a library that is installed is downloaded anyway, which does no harm.
PACKAGES=(cyrus-imapd cyrus-common libclamav12 libical3 libxapian30 libzephyr4 libpcre3
  libjansson4 libpq5 libwrap0 libicu72 libsasl2-modules)

work=$(mktemp -d "${dir}.partial.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
(
  cd "$work"
  if ! apt-get download "${PACKAGES[@]}" >download.log 2>&1; then
    # A fresh machine may not have the package lists yet.
    apt-get update -qq
    apt-get download "${PACKAGES[@]}" >download.log 2>&1 || {
      cat download.log >&2
      echo "fetch-cyrus.sh: apt-get download failed (is this Debian bookworm with network access?)" >&2
      exit 1
    }
  fi
  mkdir root
  for deb in ./*.deb; do
    dpkg-deb -x "$deb" root
  done
  rm -f ./*.deb
)
rm -rf "$dir"
mv "$work" "$dir"
trap - EXIT
echo "$dir"
