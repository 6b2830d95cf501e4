"""Each test gets its own HOME and keychain service name inside the throwaway keychain session
that `npm test` starts; values are stored with the cpw-vault CLI itself (on stdin, never argv)."""

import os
import shlex
import subprocess
import uuid

import pytest

LOCKED = os.environ.get("CPW_TEST_KEYRING") == "locked"


def pytest_configure(config):
    # Run as `pytest` in python/ (pyproject's testpaths invite it), the suite stored its test tokens in the desktop's own
    # keyring (a dialog where it is locked) and left them there, or failed with KeyError: 'CPW_VAULT_BIN'.
    # npm test sets CPW_TEST_ROOT; its locked-keyring session (a private one of its own) sets CPW_TEST_KEYRING.
    if not (os.environ.get("CPW_TEST_ROOT") or os.environ.get("CPW_TEST_KEYRING")) or not os.environ.get("CPW_VAULT_BIN"):
        pytest.exit("these tests run inside npm test's throwaway HOME and keyring: npm test -- tests/python/python-package.test.ts", 2)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if ("locked" in item.keywords) != LOCKED:
            item.add_marker(pytest.mark.skip(reason="needs the locked keychain session" if not LOCKED else "needs an unlocked keychain"))


@pytest.fixture()
def vault(tmp_path, monkeypatch):
    """A fresh HOME and keychain namespace; returns a function that stores a value through the CLI."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("CPW_KEYCHAIN_SERVICE", "cp-whisperx-test-py-" + uuid.uuid4().hex[:12])
    monkeypatch.chdir(tmp_path)
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "TMDB_API_KEY", "OPENAI_API_KEY", "ANTHROPIC_API_KEY",
                 "GOOGLE_API_KEY", "GEMINI_API_KEY", "PYANNOTE_API_TOKEN", "CPW_PROFILE"):
        monkeypatch.delenv(name, raising=False)

    def store(service, key, value):
        cli = shlex.split(os.environ["CPW_VAULT_BIN"])
        subprocess.run(cli + ["set", service, key], input=value.encode(), check=True, capture_output=True)

    store.home = home
    return store
