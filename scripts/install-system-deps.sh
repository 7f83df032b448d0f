#!/usr/bin/env bash
# Debian packages ocr-space uses: CJK fonts (synthetic lines, test fixtures), Tesseract (baseline engine),
# Chromium (browser tests). packages.txt is the same list for a Hugging Face Space (minus the browser).
# Installs only what is missing, only where apt-get is usable; otherwise says what to install and goes on.
set -u
packages=$(grep -v '^#' "$(dirname "$0")/../packages.txt")
if [ "${1:-}" = "--with-browser" ]; then packages="$packages chromium"; fi
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "Installing Debian packages:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
  echo "Note: please install these Debian packages for full functionality:$missing" >&2
fi
