#!/usr/bin/env bash
# System packages cpw-vault needs on Debian/Ubuntu, to build keytar and run
# the whole test suite (real keychain, real browser). Run as root or via sudo.
#   libsecret-1-dev, pkg-config, python3, g++  build keytar from source
#   gnome-keyring, dbus, dbus-x11              a real Secret Service for tests
#   libsecret-tools                            secret-tool (tests read what keytar stored)
#   libglib2.0-bin                             gdbus (tests lock/unlock the collection)
#   chromium                                   real browser for the UI end-to-end tests
#   xvfb, xauth                                a display when one is needed
#   python3-keyring                            the Python baseline of the benchmark
#   age                                        tests prove the vault file and exports open without cpw-vault
set -euo pipefail
PACKAGES=(libsecret-1-dev pkg-config python3 g++ make gnome-keyring dbus dbus-x11 libsecret-tools libglib2.0-bin chromium xvfb xauth python3-keyring age)
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}"
