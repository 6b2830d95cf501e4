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
#   python3-setuptools, python3-wheel,         build and install the cpw_vault Python package offline
#   python3-pip, python3-venv                  (pip install --no-build-isolation ./python, in a venv: PEP 668)
#   python3-pytest                             its tests, run from npm test
#   git                                        git-credential tests (real git credential fill, a real clone)
#   openssl                                    a throwaway CA and certificates for the verify/TLS tests
#   age                                        tests prove the vault file and exports open without cpw-vault
#   strace                                     tests prove which files a command opens (a get writes nothing)
#   python3-dotenv                             tests prove `env --format dotenv` reads back exactly with python-dotenv
#   keepassxc, xdotool                         a second Secret Service provider for the keychain contract suite
#                                              (headless under xvfb; xdotool answers its dialogs)
#   time                                       /usr/bin/time: peak memory of a command (tests, the benchmark's RSS)
#   zsh                                        tests read printed fix lines back in zsh (macOS's shell), besides bash and dash
set -euo pipefail
PACKAGES=(libsecret-1-dev pkg-config python3 g++ make gnome-keyring dbus dbus-x11 libsecret-tools libglib2.0-bin chromium xvfb xauth python3-keyring python3-setuptools python3-wheel python3-pip python3-venv python3-pytest git openssl age strace python3-dotenv keepassxc xdotool time zsh)
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}"
