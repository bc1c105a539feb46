#!/usr/bin/env bash
# Debian's Python build tools and twine (on /usr/bin/python3), for the demo's PyPI job and the tests that build and
# upload real wheels; and rsync, which gitlab-ci-local needs to run the GitLab example's jobs. Needs root and
# apt-get; does nothing when they are already there.
set -euo pipefail
if /usr/bin/python3 -c 'import build, hatchling' 2>/dev/null && command -v twine >/dev/null 2>&1 &&
  command -v rsync >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-python-tools: needs root and apt-get; run: sudo apt-get install -y python3-build python3-hatchling twine python3-venv rsync" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-build python3-hatchling twine python3-venv rsync >/dev/null
