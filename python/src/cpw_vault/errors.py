"""Exceptions mapped from cpw-vault's error codes and exit codes. None ever holds a value."""

from ._secret import scrub


class VaultError(Exception):
    """cpw-vault could not do it. `code` is its stable error code, `exit_code` its exit
    status, `message` what happened and `fix` what to do about it."""

    exit_code = 1

    def __init__(self, code, message, fix="", exit_code=None):
        self.code = code
        self.message = scrub(message)
        self.fix = scrub(fix)
        if exit_code is not None:
            self.exit_code = exit_code
        # A fix of several lines (one Run line per missing credential) is indented under "fix: ", as the CLI prints it.
        super().__init__(self.message + ("\nfix: " + self.fix.replace("\n", "\n     ") if self.fix else ""))

    def __repr__(self):
        return "%s(code=%r, exit_code=%r)" % (type(self).__name__, self.code, self.exit_code)

    def __reduce__(self):
        # Pickled by multiprocessing (a Pool worker's exception goes back to the parent): Exception's own reduce passes
        # only str(e) to __init__, which needs code and message, so the parent's unpickling raised TypeError in the
        # Pool's result thread and map() waited for ever. The attributes (missing, results) come back as state.
        return (type(self), (self.code, self.message, self.fix, self.exit_code), self.__dict__)


class UsageError(VaultError):
    """Bad arguments (exit 2): an unknown workflow, a credential name that is not one."""

    exit_code = 2


class CredentialMissing(VaultError):
    """The credential is set nowhere: not in its env var, not in the keychain (exit 3)."""

    exit_code = 3


class WorkflowNotReady(VaultError):
    """A workflow lacks a credential (exit 3). `missing` lists what is missing, each with its fix."""

    exit_code = 3

    def __init__(self, code, message, fix="", exit_code=None, missing=()):
        super().__init__(code, message, fix, exit_code)
        self.missing = list(missing)


class CredentialRejected(VaultError):
    """A provider said the key is invalid or lacks access (exit 3). `results` holds each verdict."""

    exit_code = 3

    def __init__(self, code, message, fix="", exit_code=None, results=()):
        super().__init__(code, message, fix, exit_code)
        self.results = list(results)


class KeychainUnavailable(VaultError):
    """The keychain is locked, has no provider, timed out or refused (exit 4)."""

    exit_code = 4


class KeychainLocked(KeychainUnavailable):
    """The keychain, or the vault file, is locked (KEYCHAIN_LOCKED, VAULT_LOCKED): unlock it and try again."""


class ProviderUnreachable(VaultError):
    """A provider could not be asked: network, DNS, TLS, timeout, rate limit (exit 5)."""

    exit_code = 5

    def __init__(self, code, message, fix="", exit_code=None, results=()):
        super().__init__(code, message, fix, exit_code)
        self.results = list(results)


class CliNotFound(VaultError):
    """The cpw-vault command was not found (CPW_VAULT_BIN, else cpw-vault on PATH)."""


BY_CODE = {
    "CREDENTIAL_MISSING": CredentialMissing,
    "WORKFLOW_NOT_READY": WorkflowNotReady,
    "CREDENTIAL_REJECTED": CredentialRejected,
    "PROVIDER_UNREACHABLE": ProviderUnreachable,
    "KEYCHAIN_LOCKED": KeychainLocked,
    # The vault file of a host with no keychain, with no unlock agent running: `cpw-vault unlock`, as for a keychain.
    "VAULT_LOCKED": KeychainLocked,
    "INVALID_ARGUMENT": UsageError,
    "WORKFLOW_UNKNOWN": UsageError,
    "CREDENTIAL_FORMAT": UsageError,
    "CREDENTIAL_INVALID": UsageError,
}
BY_EXIT = {2: UsageError, 3: CredentialMissing, 4: KeychainUnavailable, 5: ProviderUnreachable}


def error_for(code, message, fix, exit_code):
    """The exception class for an error code (KEYCHAIN_* are KeychainUnavailable), else by exit code."""
    cls = BY_CODE.get(code)
    if cls is None and code.startswith("KEYCHAIN_"):
        cls = KeychainUnavailable
    if cls is None:
        cls = BY_EXIT.get(exit_code, VaultError)
    return cls(code, message, fix, exit_code)
