"""Runs the cpw-vault command. Values travel only on its stdout (a pipe), never on a command line."""

import errno
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys

from ._secret import Sensitive, scrub
from .errors import CliNotFound, VaultError, error_for

_ERROR_LINE = re.compile(r"^error \[([A-Z_]+)\] (.*)$")


class Result:
    """Exit status, stdout (kept hidden until parsed) and stderr (cpw-vault's redacted talk)."""

    __slots__ = ("code", "out", "err")

    def __init__(self, code, out, err):
        self.code = code
        self.out = out
        self.err = err

    def __repr__(self):
        return "<cpw-vault result: exit %d>" % self.code


def command():
    """The cpw-vault command: CPW_VAULT_BIN (a path, or a command line such as "node /x/cpw-vault.cjs"), else cpw-vault on PATH."""
    raw = os.environ.get("CPW_VAULT_BIN", "").strip() or "cpw-vault"
    # An absolute path as it is first (it may hold spaces: "/Applications/My Tools/cpw-vault"), else a command line.
    # Never a relative one whole: it is looked up from the working directory, where another user who can write there
    # (/tmp, a shared scratch folder) could plant an executable named like the whole command line ("'/usr/bin/node'
    # '/x/cpw-vault.cjs'", as `exec` hands it) to be run in cpw-vault's place, with the stage's keys in its environment.
    whole = shutil.which(raw) if os.path.isabs(raw) else None
    if whole:
        return [whole]
    if os.path.isabs(raw) and os.path.exists(raw):
        # Split as a command line it was "/x/my tools was not found": name what is wrong with the path itself.
        what = "is a folder" if os.path.isdir(raw) else "is not executable"
        raise CliNotFound("CLI_NOT_FOUND", "CPW_VAULT_BIN (%s) %s." % (raw, what),
                          "Point CPW_VAULT_BIN at the cpw-vault launcher (bin/cpw-vault.cjs runs as: node '/path/to/cpw-vault.cjs'), "
                          "or make it executable (chmod +x).")
    try:
        argv = shlex.split(raw)
    except ValueError as err:
        # An unbalanced quote ("/opt/it's/cpw-vault" that is not there): a stage's `except VaultError` must catch it.
        raise CliNotFound("CLI_NOT_FOUND", "CPW_VAULT_BIN (%s) names no executable file, and as a command line it cannot be read: %s."
                          % (raw, str(err).lower()),
                          "Point CPW_VAULT_BIN at the cpw-vault launcher; as a command line, quote a word with a quote "
                          "in it as a shell would: \"node '/opt/it'\\''s/cpw-vault.cjs'\".") from None
    found = shutil.which(argv[0]) if argv else None
    if not found:
        raise CliNotFound("CLI_NOT_FOUND", "%s was not found." % (argv[0] if argv else "cpw-vault"),
                          "Put cpw-vault on PATH (npm link in its repository) or point CPW_VAULT_BIN at it.")
    return [found] + argv[1:]


def run(args):
    """Runs `cpw-vault args...` with no terminal and no colour; never raises for a non-zero exit."""
    argv = command() + list(args)
    unstartable = None
    try:
        # The environment is built in the call, never held in a local: the stage's own (HF_TOKEN under `exec`, a CI
        # secret) is in it, and a traceback with locals (pytest -l, rich, Sentry) printed this frame's, values and all.
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=dict(os.environ, NO_COLOR="1"))
    except OSError as err:
        # execve refused it: a script without its "#!" line (the shell runs it, execve does not), or whose interpreter
        # is not there (the "#!/bin/sh\r" of a CRLF file: ENOENT for a file that exists).
        unstartable = "the interpreter its #! line names was not found" if err.errno == errno.ENOENT and os.path.isfile(argv[0]) \
            else (err.strerror or str(err)).lower()
    if unstartable is not None:
        # Raised here, outside the except: the OSError's traceback holds Popen's frames, whose locals hold the environment.
        raise CliNotFound("CLI_NOT_FOUND", "%s could not be started: %s." % (argv[0], unstartable),
                          "Point CPW_VAULT_BIN (or cpw-vault on PATH) at the cpw-vault launcher; a script of yours needs "
                          "a first line such as #!/bin/sh with Unix line ends, or set CPW_VAULT_BIN to a command line: "
                          "\"node '/path/to/cpw-vault.cjs'\".")
    stopped = None
    try:
        out, err = proc.communicate()
        # Hidden at once: the warnings are written to the stage's stderr before run() returns (a write that blocks on a
        # full pipe), and a Ctrl-C landing there printed this frame's locals, the raw value among them.
        out = Sensitive(out)
    except BaseException as exc:  # Ctrl-C, or a SIGTERM handler's SystemExit, while cpw-vault runs
        stopped = exc
    if stopped is not None:
        _stop(proc)
        # Raised again here, not from communicate(): its frames' locals hold what cpw-vault had printed so far (the
        # value), and a traceback with locals (pytest -l, rich, Sentry) would show them. The Popen goes too: this
        # frame is in the traceback, and communicate() keeps what it read on the Popen (to resume after a timeout).
        del proc
        raise stopped.with_traceback(None)
    talk = err.decode("utf-8", "replace")
    _pass_on_warnings(talk)
    return Result(proc.returncode, out, talk)


_WARNED = set()


def _pass_on_warnings(talk):
    """cpw-vault's warnings (a profile other users can read, a plaintext config/secrets.json in use) on the stage's
    stderr, each once per process, as the Node library gives them: captured with the rest of stderr, they were lost."""
    for line in talk.splitlines():
        if line.startswith("warning: ") and line not in _WARNED:
            _WARNED.add(line)
            try:
                sys.stderr.write("cpw-vault: %s\n" % scrub(line))
            except (AttributeError, OSError, ValueError):
                # No stderr to write to (None under pythonw, closed, or fd 2 closed under the stage): the warning has
                # nowhere to go, and the read it came with must still answer.
                pass


def _stop(proc):
    """Ends an interrupted cpw-vault (no CLI left running, no zombie) and drops what it printed."""
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    proc.stdout.close()
    proc.stderr.close()


def parse_json(result):
    """stdout as JSON, or None when it is not (no exception context is kept: it would hold the text)."""
    try:
        return json.loads(result.out.text())
    except ValueError:
        return None


def error(result):
    """The exception for a failed run, from cpw-vault's `error [CODE] message` and `fix:` lines on stderr."""
    code, message, fix, in_fix = "", [], [], False
    for line in result.err.splitlines():
        m = _ERROR_LINE.match(line)
        if m:
            code, message, fix, in_fix = m.group(1), [m.group(2)], [], False
        elif code and line.startswith("fix: "):
            fix, in_fix = [line[5:]], True
        elif code and in_fix and line.startswith("     "):
            fix.append(line[5:])
        elif code and not in_fix:
            message.append(line)
    if not code and result.code < 0:
        # Popen's -N: killed by signal N (the OOM killer, a kill -9), which "exited with -9" did not say.
        name = signal.Signals(-result.code).name if -result.code in signal.valid_signals() else "signal %d" % -result.code
        return VaultError("CLI_FAILED", "cpw-vault was killed by %s before it answered%s" % (name, (": " + result.err.strip()) if result.err.strip() else "."),
                          "Run it again; if it is killed again, run the same cpw-vault command in a terminal to see why.", 1)
    if not code:
        return VaultError("CLI_FAILED", "cpw-vault exited with %d: %s" % (result.code, result.err.strip() or "no message"), "", result.code) \
            if result.code not in (2, 3, 4, 5) else error_for("", result.err.strip() or "cpw-vault exited with %d" % result.code, "", result.code)
    return error_for(code, "\n".join(message).strip(), "\n".join(fix).strip(), result.code)
