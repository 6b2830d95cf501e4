"""cpw_vault: credentials for CP-WhisperX pipeline stages, from cpw-vault (the OS keychain).

    import cpw_vault
    cpw_vault.require_workflow("subtitle")        # WorkflowNotReady lists what is missing + the fix
    key = cpw_vault.get("tmdb", "api_key")        # a str whose repr() is Secret('****')

Every function calls the cpw-vault command, so env vars win over the keychain exactly
as on the command line. Exit codes become exceptions: CredentialMissing and
WorkflowNotReady (3), KeychainUnavailable / KeychainLocked (4), ProviderUnreachable (5),
CredentialRejected (3, verify), UsageError (2), all VaultError.
"""

import math

from . import _cli
from ._names import looks_like_key
from ._secret import Secret, secret
from .errors import (CliNotFound, CredentialMissing, CredentialRejected, KeychainLocked, KeychainUnavailable,
                     ProviderUnreachable, UsageError, VaultError, WorkflowNotReady, error_for)

__all__ = [
    "get", "require_workflow", "check_workflow", "workflow_env", "verify", "preferences", "Secret",
    "VaultError", "UsageError", "CredentialMissing", "WorkflowNotReady", "CredentialRejected",
    "KeychainUnavailable", "KeychainLocked", "ProviderUnreachable", "CliNotFound",
]
__version__ = "0.1.0"


_WORKFLOW = '"subtitle"'


def _malformed(what):
    return VaultError("CLI_OUTPUT", "cpw-vault gave output this version of cpw_vault cannot read (%s)." % what,
                      "Check that CPW_VAULT_BIN / cpw-vault on PATH is cpw-vault, and update one of the two.")


def _name(what, value, example):
    """`value` as one argument of cpw-vault's command line, or UsageError. One that starts with "-" is refused: the CLI
    would read it as an option (a workflow "--json" was the default workflow's readiness, "--verify" asked the
    providers); None, an int, a NUL, a lone surrogate or a megabyte failed in Popen with a TypeError, ValueError or OSError
    a stage's `except VaultError` missed. The value is not repeated: a misplaced argument may be a key."""
    if not isinstance(value, str):
        why = "is a %s, not a str" % type(value).__name__
    elif value.startswith("-"):
        why = 'starts with "-", which cpw-vault would read as an option'
    elif "\0" in value or len(value) > 1000:
        why = "is no name (%s)" % ("it holds a NUL character" if "\0" in value else "%d characters long" % len(value))
    elif looks_like_key(value):
        # Before the CLI runs: on its command line, `ps` showed it (the CLI refuses it only once it is in its argv).
        why = ("has the shape of a secret value (an API key or token), so it is refused and not shown: a value never "
               "goes in a name")
    else:
        try:
            value.encode("utf-8", "surrogateescape")
            return value
        except UnicodeEncodeError:
            why = "is no name (it holds a lone surrogate, which is not UTF-8)"
    raise UsageError("INVALID_ARGUMENT", "The %s given to cpw_vault %s." % (what, why), "Pass a name, e.g. %s." % example, 2)


def get(service, key):
    """The value of a credential (its env var first, then the keychain) as a Secret.

    Raises CredentialMissing (with the fix), KeychainUnavailable / KeychainLocked, UsageError."""
    result = _cli.run(["get", _name("service", service, '"huggingface"'), _name("key", key, '"token"')])
    if result.code != 0:
        raise _cli.error(result)
    try:
        return secret(result.out.text())
    except UnicodeDecodeError:
        pass
    raise _malformed("a value that is not UTF-8")


def check_workflow(name):
    """A workflow's readiness: {"workflow", "ready", "uses", "missing": [{"description", "credentials", "fix"}], "warnings", "notes"}.

    Does not raise when the workflow is merely not ready; raises KeychainUnavailable, UsageError."""
    result = _cli.run(["check", _name("workflow", name, _WORKFLOW), "--json"])
    status = _cli.parse_json(result) if result.code in (0, 3, 4) else None
    if result.code == 4 and isinstance(status, dict) and isinstance(status.get("keychain"), dict):
        # Readiness unknown (exit 4): the document names the secret store's problem, KEYCHAIN_LOCKED say.
        k = status["keychain"]
        raise error_for(str(k.get("code", "")), str(k.get("message", "")), str(k.get("fix", "")), 4)
    if result.code != 4 and isinstance(status, dict) and isinstance(status.get("ready"), bool):
        return status
    raise _cli.error(result) if result.code != 0 else _malformed("check --json is not a readiness document")


def require_workflow(name, verify=False):
    """Returns the workflow's status when it is ready; raises WorkflowNotReady whose message lists each
    missing credential and whose fix holds the command that adds each (str(e) shows both, each once).
    With verify=True the providers are asked too (CredentialRejected, ProviderUnreachable)."""
    status = check_workflow(name)
    if not status["ready"]:
        missing = status.get("missing", [])
        needs = ["%s (%s)" % (m["description"], " or ".join(m["credentials"])) for m in missing]
        # As the Node library words it: one need on the line, several as a list.
        said = " %s." % needs[0] if len(needs) == 1 else "\n" + "\n".join("  - " + n for n in needs)
        raise WorkflowNotReady("WORKFLOW_NOT_READY", "The %s workflow is not ready; missing:%s" % (name, said),
                               "\n".join(m["fix"] for m in missing), 3, missing)
    if verify:
        status["verification"] = _verified(["--workflow", name], True)
    return status


def workflow_env(name):
    """The environment a workflow's stage expects (every alias of each credential), values as Secrets:
    ready to merge into subprocess.run(env={**os.environ, **cpw_vault.workflow_env("transcribe")}).

    Raises WorkflowNotReady, KeychainUnavailable, UsageError."""
    result = _cli.run(["env", "--workflow", _name("workflow", name, _WORKFLOW), "--format", "json"])
    if result.code != 0:
        raise _cli.error(result)
    env = _secrets_of(result)
    if env is None:
        raise _malformed("env --format json is not an object of strings")
    return env


def _secrets_of(result):
    """env --format json's object as Secrets, or None. Its own frame: the parsed values (plain str) are gone before
    the caller raises, so no traceback with locals can show them."""
    doc = _cli.parse_json(result)
    if isinstance(doc, dict) and all(isinstance(v, str) for v in doc.values()):
        return {k: secret(v) for k, v in doc.items()}
    return None


def verify(service=None, key=None, workflow=None, all=False, timeout=None, check=True):  # noqa: A002 (mirrors --all)
    """Asks each provider whether keys work: one credential (service, key), a workflow's, or all=True.

    Returns a list of results ({"credential", "result", "message", "fix", "checks", ...}; never a value).
    With check=True (default) raises CredentialRejected when a key is invalid or lacks access,
    ProviderUnreachable when a provider could not be asked; CredentialMissing, KeychainUnavailable as usual."""
    if (service is None) != (key is None):
        raise UsageError("INVALID_ARGUMENT", "verify takes both service and key, or workflow=..., or all=True.",
                         'Example: cpw_vault.verify("huggingface", "token")', 2)
    args = [_name("service", service, '"huggingface"'), _name("key", key, '"token"')] if service is not None else []
    if workflow is not None:
        args += ["--workflow", _name("workflow", workflow, _WORKFLOW)]
    if all:
        args.append("--all")
    if timeout is not None:
        args += ["--timeout", _seconds(timeout)]
    return _verified(args, check)


def _seconds(value):
    """verify's timeout as one argument of cpw-vault's command line, or UsageError: a finite number, or a str of one
    (cpw-vault checks its range). Anything else went on the command line as str(value): one with a NUL raised Popen's
    ValueError past `except VaultError`, a long one was CliNotFound ("argument list too long")."""
    try:
        ok = not isinstance(value, bool) and math.isfinite(float(value))
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise UsageError("INVALID_ARGUMENT", "The timeout given to cpw_vault.verify is not a number of seconds.",
                         "Pass a number, e.g. timeout=20.", 2)
    return str(value).strip()


def _verified(args, check):
    result = _cli.run(["verify"] + args + ["--json"])
    doc = _cli.parse_json(result) if result.code in (0, 3, 5) else None
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
        raise _cli.error(result)
    results = doc["results"]
    if check and result.code in (3, 5):
        bad = [r for r in results if r.get("result") != "valid"]
        text = "\n".join("  - %s: %s: %s" % (r["credential"], r["result"], r["message"]) for r in bad)
        fix = "\n".join(r.get("fix", "") for r in bad if r.get("fix"))
        cls = CredentialRejected if result.code == 3 else ProviderUnreachable
        code = "CREDENTIAL_REJECTED" if result.code == 3 else "PROVIDER_UNREACHABLE"
        raise cls(code, "Verification failed:\n" + text, fix, result.code, results)
    return results


def preferences():
    """The pipeline preferences: ai_provider, default_source_language, enable_cost_tracking, default_workflow, ...

    Under `cpw-vault exec` the same are in CPW_AI_PROVIDER, CPW_SOURCE_LANGUAGE, CPW_COST_TRACKING."""
    result = _cli.run(["profile", "show", "--json"])
    doc = _cli.parse_json(result) if result.code == 0 else None
    if not isinstance(doc, dict) or not isinstance(doc.get("profile", {}).get("preferences"), dict):
        raise _cli.error(result) if result.code != 0 else _malformed("profile show --json has no preferences")
    return doc["profile"]["preferences"]
