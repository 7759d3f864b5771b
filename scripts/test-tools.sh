#!/usr/bin/env bash
# The system tools the test suite needs, each installed on its own terms.
#
#   scripts/test-tools.sh            install what is missing on this machine (as root)
#   scripts/test-tools.sh --plan     print the Debian packages that would be installed here
#   scripts/test-tools.sh --doctor   simulate (apt-get -s) the install a machine of this
#                                    kind with none of the tools would need; fails if apt's
#                                    plan would break. Changes nothing but apt's lists.
#
# A tool whose command is already on the PATH is never asked of apt, whoever provided it:
# Node.js from another package source ships its own npm, and Debian's npm conflicts with it.
# Each tool is one line of TOOLS: a check, and the Debian packages that satisfy it.
set -euo pipefail

FESTIVAL_VOICES=/usr/share/festival/voices
# check-kind:check-arg:debian packages
TOOLS=(
  "cmd:chromium:chromium"
  "cmd:sox:sox"
  "cmd:openssl:openssl"
  "cmd:flite:flite"
  "cmd:text2wave:festival"
  "dir:$FESTIVAL_VOICES/us/cmu_us_slt_arctic_hts:festvox-us-slt-hts"
  "dir:$FESTIVAL_VOICES/english/kal_diphone:festvox-kallpc16k"
  "file:/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf:fonts-dejavu-core"
)

present() {
  local kind=$1 arg=$2
  case $kind in
    cmd) command -v "$arg" >/dev/null 2>&1 ;;
    dir) test -d "$arg" ;;
    file) test -f "$arg" ;;
  esac
}

# The packages to ask apt for; with "fresh", as if none of the tools above were here.
plan() {
  local assume=$1 entry kind arg packages
  for entry in "${TOOLS[@]}"; do
    IFS=: read -r kind arg packages <<<"$entry"
    if [ "$assume" = fresh ] || ! present "$kind" "$arg"; then
      echo "$packages"
    fi
  done
  # npm comes with Node.js. Only where neither is on the PATH does apt provide both.
  if ! command -v npm >/dev/null 2>&1; then
    if command -v node >/dev/null 2>&1; then
      echo "test-tools: node is on the PATH without npm; install npm from the same source as node" >&2
      return 1
    fi
    echo "nodejs npm"
  fi
}

apt_lists_ready() {
  compgen -G "/var/lib/apt/lists/*_Packages" >/dev/null
}

apt_update() {
  apt-get update -qq
}

case "${1:-install}" in
  --plan)
    plan here | tr '\n' ' '; echo
    ;;
  --doctor)
    packages=$(plan fresh | tr '\n' ' ')
    apt_lists_ready || apt_update
    echo "test-tools doctor: apt-get -s install $packages"
    if ! out=$(DEBIAN_FRONTEND=noninteractive apt-get -s install -y $packages 2>&1); then
      printf '%s\n' "$out" | tail -n 20 >&2
      echo "test-tools doctor: FAILED: apt cannot install the test tools on a fresh machine" >&2
      exit 1
    fi
    echo "test-tools doctor: ok ($(printf '%s\n' "$out" | grep -c '^Inst ') packages would be installed on a fresh machine)"
    ;;
  install)
    packages=$(plan here | tr '\n' ' ')
    if [ -z "${packages// /}" ]; then
      exit 0
    fi
    echo "installing the test tools' Debian packages: $packages"
    apt_update
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages >/dev/null
    ;;
  *)
    echo "usage: $0 [--plan | --doctor]" >&2
    exit 2
    ;;
esac
