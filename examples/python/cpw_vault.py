"""Tiny helper for Python pipeline stages: read keys through the cpw-vault CLI.

The value travels on the child's stdout (a pipe), never on a command line.
Exit codes of cpw-vault: 0 ok, 3 missing credential / workflow not ready,
4 keychain locked or unavailable.
"""
import json
import os
import shutil
import subprocess
import sys

MISSING, KEYCHAIN = 3, 4


class VaultUnavailable(Exception):
    """cpw-vault could not give the key; `code` is its exit code, `message` what it said."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def _binary():
    exe = os.environ.get("CPW_VAULT", "cpw-vault")
    found = shutil.which(exe)
    if not found:
        raise VaultUnavailable(1, f"{exe} not found on PATH: install cpw-vault (npm install -g cpw-vault)")
    return found


def _run(args):
    result = subprocess.run([_binary(), *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise VaultUnavailable(result.returncode, result.stderr.strip())
    return result.stdout


def get_credential(service, key):
    """The value of service.key (env var first, then the keychain)."""
    return _run(["get", service, key])


def check_workflow(workflow):
    """The readiness document of a workflow; raises VaultUnavailable (code 3) when not ready."""
    result = subprocess.run([_binary(), "check", workflow, "--json"], capture_output=True, text=True)
    status = json.loads(result.stdout) if result.stdout.strip() else None
    if result.returncode != 0:
        raise VaultUnavailable(result.returncode, result.stderr.strip())
    return status


def fail(stage, err):
    """Logs why the stage cannot run (cpw-vault's own message and fix) and exits with its code."""
    print(f"[{stage}] cannot run: {err}", file=sys.stderr)
    sys.exit(err.code)
