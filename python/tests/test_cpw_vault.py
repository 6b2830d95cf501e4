"""cpw_vault against the real cpw-vault CLI and the throwaway keychain of `npm test`."""

import gc
import http.server
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import traceback

import pytest

import cpw_vault
from cpw_vault import _cli

HF = "hf_" + "Pyth" * 9
TMDB = "0123456789abcdef0123456789abcdef"


def full_traceback(exc):
    """The traceback as the most talkative tools print it: with every frame's locals."""
    return "".join(traceback.TracebackException.from_exception(exc, capture_locals=True).format())


def reachable_bytes(exc, depth=6):
    """Every bytes/str reachable (within `depth` references) from the locals of cpw_vault's frames in exc's traceback:
    what a debugger, or a tool that walks a frame's objects (not only their repr), can get at."""
    seen, out, level = set(), [], []
    tb = exc.__traceback__
    while tb is not None:
        if "cpw_vault" in tb.tb_frame.f_code.co_filename:
            level.extend(tb.tb_frame.f_locals.values())
        tb = tb.tb_next
    for _ in range(depth):
        nxt = []
        for obj in level:
            if id(obj) in seen or isinstance(obj, (type, type(sys), type(full_traceback))):
                continue
            seen.add(id(obj))
            if isinstance(obj, (bytes, bytearray, str)):
                out.append(bytes(obj) if not isinstance(obj, str) else obj.encode("utf-8", "replace"))
            else:
                nxt.extend(gc.get_referents(obj))
        level = nxt
    return out


def test_get_returns_the_value_as_a_str_whose_repr_is_masked(vault):
    vault("huggingface", "token", HF)
    token = cpw_vault.get("huggingface", "token")
    assert token == HF and isinstance(token, str)
    assert f"{token}" == HF and str(token) == HF and token.startswith("hf_")
    assert HF not in repr(token) and repr(token) == "Secret('****')"
    assert HF not in repr({"token": token}) and HF not in repr([token])


def test_an_env_var_wins_over_the_keychain_as_on_the_command_line(vault, monkeypatch):
    vault("huggingface", "token", HF)
    other = "hf_" + "EnvW" * 9
    monkeypatch.setenv("HF_TOKEN", other)
    assert cpw_vault.get("huggingface", "token") == other


def test_a_missing_credential_raises_credential_missing_with_the_fix(vault):
    with pytest.raises(cpw_vault.CredentialMissing) as info:
        cpw_vault.get("tmdb", "api_key")
    e = info.value
    assert (e.code, e.exit_code) == ("CREDENTIAL_MISSING", 3)
    assert isinstance(e, cpw_vault.VaultError)
    assert "cpw-vault set tmdb api_key" in e.fix and "cpw-vault set tmdb api_key" in str(e)


def test_require_workflow_lists_what_is_missing_and_the_fix(vault):
    vault("huggingface", "token", HF)
    with pytest.raises(cpw_vault.WorkflowNotReady) as info:
        cpw_vault.require_workflow("subtitle")
    e = info.value
    assert e.exit_code == 3 and e.code == "WORKFLOW_NOT_READY"
    assert "TMDB API key" in e.message and "cpw-vault set tmdb api_key" in e.fix
    assert str(e).count("cpw-vault set tmdb api_key") == 1  # said once: in the fix, not in the message too
    assert [m["credentials"] for m in e.missing] == [["tmdb.api_key"]]
    vault("tmdb", "api_key", TMDB)
    assert cpw_vault.require_workflow("subtitle")["uses"] == ["huggingface.token", "tmdb.api_key"]
    assert cpw_vault.check_workflow("summarize")["ready"] is False


def test_require_workflow_missing_two_prints_each_run_line_once_under_fix(vault):
    with pytest.raises(cpw_vault.WorkflowNotReady) as info:
        cpw_vault.require_workflow("subtitle")
    e = info.value
    assert [m["credentials"] for m in e.missing] == [["huggingface.token"], ["tmdb.api_key"]]
    # As the CLI prints it: the second Run line under the first, not at the left edge like a line of its own.
    fix = str(e)[str(e).index("\nfix: "):]
    assert re.match(r"\nfix: .* or run: cpw-vault set huggingface token\n     .* or run: cpw-vault set tmdb api_key(\n|$)", fix), fix
    assert [str(e).count("cpw-vault set " + c) for c in ("huggingface token", "tmdb api_key")] == [1, 1]


def test_cpw_vaults_warnings_reach_the_stages_stderr_once_each(vault, capsys):
    # They were captured with the rest of the CLI's stderr and dropped: a stage read its keys from a profile other users
    # can read (or from a plaintext config/secrets.json) and nobody was told, where the CLI and the Node library say so.
    vault("huggingface", "token", HF)
    profile = vault.home / ".cp-whisperx" / "user.profile"
    profile.chmod(0o644)
    capsys.readouterr()
    assert cpw_vault.get("huggingface", "token") == HF
    assert cpw_vault.workflow_env("transcribe")["HF_TOKEN"] == HF
    err = capsys.readouterr().err
    assert err.count("cpw-vault: warning: %s is readable by other users (mode 0644)." % profile) == 1
    assert HF not in err


def test_a_cpw_profile_of_spaces_only_is_a_usage_error_naming_it_and_an_empty_one_is_unset(vault, monkeypatch, tmp_path):
    # Read as a path, " " was a profile named by its spaces in the stage's working directory (a write made it there).
    vault("huggingface", "token", HF)
    monkeypatch.setenv("CPW_PROFILE", " ")
    with pytest.raises(cpw_vault.UsageError) as info:
        cpw_vault.get("huggingface", "token")
    assert (info.value.code, info.value.exit_code) == ("INVALID_ARGUMENT", 2)
    assert str(info.value).startswith("CPW_PROFILE is only spaces: it names no profile file, so nothing was read or written")
    assert "unset CPW_PROFILE" in info.value.fix
    assert sorted(os.listdir(tmp_path)) == ["home"]
    # Empty is unset, as the README says of every variable cpw-vault reads: the default profile answers.
    monkeypatch.setenv("CPW_PROFILE", "")
    assert cpw_vault.get("huggingface", "token") == HF


def test_an_unknown_workflow_is_a_usage_error(vault):
    with pytest.raises(cpw_vault.UsageError) as info:
        cpw_vault.require_workflow("transcode")
    assert info.value.exit_code == 2 and info.value.code == "WORKFLOW_UNKNOWN"


def test_workflow_env_gives_every_alias_masked_in_repr_and_usable_in_a_child(vault):
    vault("huggingface", "token", HF)
    env = cpw_vault.workflow_env("transcribe")
    assert env == {"HF_TOKEN": HF, "HUGGING_FACE_HUB_TOKEN": HF}
    assert HF not in repr(env)
    child = subprocess.run([sys.executable, "-c", "import os; print(os.environ['HF_TOKEN'] == os.environ['HUGGING_FACE_HUB_TOKEN'], len(os.environ['HF_TOKEN']))"],
                           env={**os.environ, **env}, capture_output=True, text=True, check=True)
    assert child.stdout == "True %d\n" % len(HF)


def test_preferences_are_the_profile_preferences(vault):
    assert cpw_vault.preferences()["ai_provider"] == "openai"
    cli = _cli.command()
    subprocess.run(cli + ["profile", "prefs", "set", "ai_provider=anthropic", "enable_cost_tracking=false"], check=True, capture_output=True)
    prefs = cpw_vault.preferences()
    assert (prefs["ai_provider"], prefs["enable_cost_tracking"], prefs["default_source_language"]) == ("anthropic", False, "en")


class FakeHub(http.server.BaseHTTPRequestHandler):
    """Answers whoami-v2 like the Hub: 200 with the account for the good token, 401 otherwise."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        ok = self.headers.get("Authorization") == "Bearer " + HF
        body = json.dumps({"name": "ada-lovelace", "auth": {"accessToken": {"role": "read"}}} if ok else {"error": "Invalid credentials in Authorization header"}).encode()
        self.send_response(200 if ok else 401)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture()
def hub(monkeypatch):
    server = http.server.HTTPServer(("127.0.0.1", 0), FakeHub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("CPW_VAULT_ENDPOINT_HUGGINGFACE", "http://127.0.0.1:%d" % server.server_port)
    yield server
    server.shutdown()


def test_verify_returns_results_and_raises_for_a_rejected_key_or_an_unreachable_provider(vault, hub, monkeypatch):
    vault("huggingface", "token", HF)
    [result] = cpw_vault.verify("huggingface", "token")
    assert (result["credential"], result["result"], result["account"]) == ("huggingface.token", "valid", "ada-lovelace")
    vault("huggingface", "token", "hf_" + "Gone" * 9)
    with pytest.raises(cpw_vault.CredentialRejected) as info:
        cpw_vault.verify(workflow="transcribe")
    assert info.value.exit_code == 3 and "cpw-vault set huggingface token" in info.value.fix
    assert cpw_vault.verify(all=True, check=False)[0]["result"] == "invalid"
    monkeypatch.setenv("CPW_VAULT_ENDPOINT_HUGGINGFACE", "http://hf-mirror.example")
    with pytest.raises(cpw_vault.ProviderUnreachable) as down:
        cpw_vault.verify("huggingface", "token", timeout=2)
    assert down.value.exit_code == 5 and down.value.results[0]["result"] == "unreachable"
    with pytest.raises(cpw_vault.UsageError):
        cpw_vault.verify("huggingface")


def test_cpw_vault_bin_a_path_with_spaces_works_one_that_does_not_exist_is_cli_not_found(vault, monkeypatch, tmp_path):
    # A path with a space (macOS "Application Support", "Program Files") was split as a command line: CliNotFound.
    vault("huggingface", "token", HF)
    folder = tmp_path / "my tools"
    folder.mkdir()
    wrapper = folder / "cpw-vault"
    wrapper.write_text("#!/bin/sh\nexec %s \"$@\"\n" % os.environ["CPW_VAULT_BIN"])
    wrapper.chmod(0o755)
    monkeypatch.setenv("CPW_VAULT_BIN", str(wrapper))
    assert cpw_vault.get("huggingface", "token") == HF
    monkeypatch.setenv("CPW_VAULT_BIN", "/nonexistent/cpw-vault")
    with pytest.raises(cpw_vault.CliNotFound) as info:
        cpw_vault.get("huggingface", "token")
    assert "CPW_VAULT_BIN" in info.value.fix


def test_cpw_vault_bin_with_an_unbalanced_quote_is_cli_not_found_naming_the_variable(monkeypatch):
    # shlex.split's bare ValueError ("No closing quotation") went past a stage's `except cpw_vault.VaultError`.
    for bad in ("/nonexistent/it's/cpw-vault", "node /nonexistent/cpw-vault.cjs\\"):
        monkeypatch.setenv("CPW_VAULT_BIN", bad)
        with pytest.raises(cpw_vault.VaultError) as info:
            cpw_vault.get("huggingface", "token")
        assert isinstance(info.value, cpw_vault.CliNotFound) and info.value.code == "CLI_NOT_FOUND"
        assert info.value.message.startswith("CPW_VAULT_BIN (%s) names no executable file" % bad)
        assert "CPW_VAULT_BIN" in info.value.fix


def test_no_value_ever_goes_on_a_command_line(vault, monkeypatch):
    vault("huggingface", "token", HF)
    seen = []
    real = subprocess.Popen

    def spy(args, *rest, **kwargs):
        seen.append(list(args))
        return real(args, *rest, **kwargs)

    monkeypatch.setattr(_cli.subprocess, "Popen", spy)
    cpw_vault.get("huggingface", "token")
    cpw_vault.workflow_env("transcribe")
    cpw_vault.require_workflow("transcribe")
    assert len(seen) == 3 and all(HF not in " ".join(a) for a in seen)


def test_a_key_passed_where_a_name_goes_is_refused_before_the_cli_runs(monkeypatch):
    # get("tmdb", tmdb_key): the CLI refused it, but only once the key was in its argv, where ps shows it.
    seen = []
    monkeypatch.setattr(_cli.subprocess, "Popen", lambda args, *rest, **kwargs: seen.append(list(args)))
    tmdb = "0123456789abcdef0123456789abcdef"
    for call in (lambda: cpw_vault.get("tmdb", tmdb), lambda: cpw_vault.get(HF, "token"),
                 lambda: cpw_vault.verify("openai", "sk-proj-" + "a1b2c3d4e5" * 3)):
        with pytest.raises(cpw_vault.UsageError) as info:
            call()
        assert "has the shape of a secret value" in str(info.value)
        # Not repeated by the error (the caller's own frames hold it: its argument, not the vault's value).
        said = "%s %r %s" % (info.value, info.value, info.value.fix)
        assert tmdb not in said and HF not in said and "a1b2c3d4e5" not in said
    assert seen == []


def test_no_value_in_a_traceback_with_locals_while_a_stage_holds_it(vault):
    vault("huggingface", "token", HF)

    def stage():
        token = cpw_vault.get("huggingface", "token")  # noqa: F841 (shown by the traceback's locals)
        env = cpw_vault.workflow_env("transcribe")  # noqa: F841
        raise RuntimeError("the stage failed")

    with pytest.raises(RuntimeError) as info:
        stage()
    text = full_traceback(info.value)
    assert "Secret('****')" in text and HF not in text


@pytest.fixture()
def lying_cli(tmp_path, monkeypatch):
    """A stand-in CLI that puts the token where cpw-vault never would: in broken output and in its error text."""
    script = tmp_path / "liar.py"
    script.write_text(
        "import os, sys\n"
        "tok = %r\n"
        "if sys.argv[1] == 'env' and os.environ.get('LIAR_JSON'):\n"
        "    sys.stdout.write('{\"HF_TOKEN\": \"' + tok + '\", \"N\": 1}')\n"
        "    sys.exit(0)\n"
        "if sys.argv[1] == 'env':\n"
        "    sys.stdout.write('{\"HF_TOKEN\": \"' + tok + '\", broken')\n"
        "    sys.exit(0)\n"
        "if sys.argv[1] == 'get':\n"
        "    sys.stdout.buffer.write(tok.encode() + b'\\xff\\xfe')\n"
        "    sys.exit(0)\n"
        "sys.stderr.write('error [KEYCHAIN_LOCKED] locked while reading ' + tok + '\\nfix: unlock it (' + tok + ')\\n')\n"
        "sys.exit(4)\n" % HF)
    monkeypatch.setenv("CPW_VAULT_BIN", "%s %s" % (sys.executable, script))


def _env_with_a_number(monkeypatch):
    # Output of another version: valid JSON, but not an object of strings. Its parsed form once sat in a local of
    # workflow_env's frame when the exception left it, and a traceback with locals printed the token.
    monkeypatch.setenv("LIAR_JSON", "1")
    try:
        return cpw_vault.workflow_env("transcribe")
    finally:
        monkeypatch.delenv("LIAR_JSON")


def test_no_value_in_an_exception_its_repr_or_its_traceback_even_from_broken_output(vault, lying_cli, monkeypatch):
    cpw_vault._secret._KNOWN.add(HF)  # as after any earlier read of it in this process
    for call, cls in ((lambda: cpw_vault.workflow_env("transcribe"), cpw_vault.VaultError),
                      (lambda: _env_with_a_number(monkeypatch), cpw_vault.VaultError),
                      (lambda: cpw_vault.get("huggingface", "token"), cpw_vault.VaultError),
                      (lambda: cpw_vault.require_workflow("transcribe"), cpw_vault.KeychainLocked)):
        with pytest.raises(cls) as info:
            call()
        e = info.value
        for text in (str(e), repr(e), e.message, e.fix, full_traceback(e)):
            assert HF not in text


def test_a_locked_vault_file_raises_keychain_locked_with_the_unlock_fix(vault):
    # A host with no keychain keeps its secrets in the vault file; with no unlock agent running, a read is VAULT_LOCKED
    # (exit 4). It was KeychainUnavailable, so a stage that catches KeychainLocked to say "unlock first" missed it.
    vault("huggingface", "token", HF)
    cli = shlex.split(os.environ["CPW_VAULT_BIN"])
    subprocess.run(cli + ["backend", "use", "file", "--passphrase-fd", "0"], input=b"a passphrase for the python test\n",
                   check=True, capture_output=True)
    subprocess.run(cli + ["lock"], check=True, capture_output=True)
    for call in (lambda: cpw_vault.get("huggingface", "token"), lambda: cpw_vault.require_workflow("transcribe")):
        with pytest.raises(cpw_vault.KeychainLocked) as info:
            call()
        e = info.value
        assert isinstance(e, cpw_vault.KeychainUnavailable) and e.exit_code == 4 and e.code == "VAULT_LOCKED"
        assert "cpw-vault unlock" in e.fix
        assert HF not in full_traceback(e)


@pytest.mark.locked
def test_a_locked_keychain_raises_keychain_locked_with_the_fix():
    for call in (lambda: cpw_vault.get("huggingface", "token"), lambda: cpw_vault.workflow_env("transcribe"),
                 lambda: cpw_vault.require_workflow("transcribe")):
        with pytest.raises(cpw_vault.KeychainLocked) as info:
            call()
        e = info.value
        assert isinstance(e, cpw_vault.KeychainUnavailable) and e.exit_code == 4 and e.code == "KEYCHAIN_LOCKED"
        assert "nlock" in e.fix
        text = full_traceback(e)  # first: an assert expression's operands become frame locals too
        assert os.environ["CPW_TEST_STORED"] not in text


def test_a_name_cpw_vault_would_read_as_an_option_or_popen_cannot_pass_is_a_usage_error(vault):
    # check_workflow("--json") was the default workflow's readiness, get("--help", "x") returned the help text as the
    # key, and None, an int, a NUL or a megabyte raised TypeError / ValueError / OSError past `except VaultError`.
    vault("huggingface", "token", HF)
    for call in (lambda: cpw_vault.get("--help", "x"), lambda: cpw_vault.get("huggingface", "-h"),
                 lambda: cpw_vault.check_workflow("--json"), lambda: cpw_vault.require_workflow("--verify"),
                 lambda: cpw_vault.workflow_env("--format"), lambda: cpw_vault.verify(workflow="--all"),
                 lambda: cpw_vault.get(None, "token"), lambda: cpw_vault.get("huggingface", 1),
                 lambda: cpw_vault.check_workflow("subtitle\0"), lambda: cpw_vault.get("x" * (1 << 20), "token"),
                 lambda: cpw_vault.get("huggingface", "\ud800")):
        with pytest.raises(cpw_vault.UsageError) as info:
            call()
        e = info.value
        assert (e.code, e.exit_code) == ("INVALID_ARGUMENT", 2) and e.message.startswith("The ") and "e.g." in e.fix
    with pytest.raises(cpw_vault.UsageError, match='starts with "-", which cpw-vault would read as an option'):
        cpw_vault.check_workflow("--json")
    assert cpw_vault.get("huggingface", "token") == HF


def test_no_value_from_the_stages_environment_in_a_traceback_with_locals(monkeypatch):
    # run() kept dict(os.environ) in a local: with HF_TOKEN in the stage's environment (under `exec`, a CI secret), a
    # CliNotFound printed with every frame's locals (pytest -l, rich, Sentry) showed the token.
    monkeypatch.setenv("HF_TOKEN", HF)
    monkeypatch.setenv("CPW_VAULT_BIN", "/nonexistent/cpw-vault")
    with pytest.raises(cpw_vault.CliNotFound) as info:
        cpw_vault.get("huggingface", "token")
    assert HF not in full_traceback(info.value)


def test_ctrl_c_while_cpw_vault_runs_stops_it_and_no_traceback_shows_what_it_printed(tmp_path, monkeypatch):
    # A CLI that has printed the value but not yet exited. The KeyboardInterrupt came out of communicate(), whose
    # frames' locals held the bytes read so far: a traceback with locals printed the value, and the CLI ran on.
    started = tmp_path / "pid"
    script = tmp_path / "slow.py"
    # The padding fills the pipe: once the write returns, the reader has taken the value.
    script.write_text("import os, sys, time\nsys.stdout.write(%r + ' ' * 300000)\nsys.stdout.flush()\n"
                      "open(%r + '.tmp', 'w').write(str(os.getpid()))\nos.rename(%r + '.tmp', %r)\ntime.sleep(300)\n"
                      % (HF, str(started), str(started), str(started)))
    monkeypatch.setenv("CPW_VAULT_BIN", "%s %s" % (sys.executable, script))
    monkeypatch.setenv("TMDB_API_KEY", TMDB)  # the stage's own environment: no frame's locals show it either
    cpw_vault._secret._KNOWN.discard(HF)  # not read in this process before: nothing to scrub it with

    def interrupt():
        while not started.exists():
            threading.Event().wait(0.01)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()
    with pytest.raises(KeyboardInterrupt) as info:
        cpw_vault.get("huggingface", "token")
    pid = int(started.read_text())
    try:
        assert HF not in full_traceback(info.value) and TMDB not in full_traceback(info.value)
        # Nor held by an object of its frames: the stopped Popen kept what communicate() had read (the value).
        holding = sum(HF.encode() in b for b in reachable_bytes(info.value))  # a count: a failure never prints the value
        assert holding == 0
        with pytest.raises(ProcessLookupError):  # ended and reaped before the interrupt reached the stage
            os.kill(pid, 0)
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_cpw_vault_bin_a_folder_or_a_file_not_executable_says_which_not_a_split_path(tmp_path, monkeypatch):
    # "/x/my tools" (a folder) was split as a command line: "/x/my was not found"; a file without +x was "not found".
    folder = tmp_path / "my tools"
    folder.mkdir()
    plain = folder / "cpw-vault.cjs"
    plain.write_text("// not executable\n")
    for path, what in ((folder, "is a folder"), (plain, "is not executable")):
        monkeypatch.setenv("CPW_VAULT_BIN", str(path))
        with pytest.raises(cpw_vault.CliNotFound) as info:
            cpw_vault.get("huggingface", "token")
        assert info.value.message == "CPW_VAULT_BIN (%s) %s." % (path, what)
        assert "node '/path/to/cpw-vault.cjs'" in info.value.fix


def test_a_cli_that_cannot_be_started_is_cli_not_found_not_an_oserror(tmp_path, monkeypatch):
    # A wrapper without its "#!" line (the shell runs it, execve does not) or whose interpreter is not there (a CRLF
    # "#!/bin/sh\r") raised Popen's OSError past a stage's `except VaultError`, Popen's frames holding the environment.
    monkeypatch.setenv("HF_TOKEN", HF)
    for name, text, why in (("no-shebang", "exec cpw-vault \"$@\"\n", "exec format error"),
                            ("crlf", "#!/bin/sh\r\nexec cpw-vault \"$@\"\r\n", "the interpreter its #! line names was not found")):
        wrapper = tmp_path / name
        wrapper.write_text(text)
        wrapper.chmod(0o755)
        monkeypatch.setenv("CPW_VAULT_BIN", str(wrapper))
        with pytest.raises(cpw_vault.VaultError) as info:
            cpw_vault.get("huggingface", "token")
        e = info.value
        assert isinstance(e, cpw_vault.CliNotFound) and (e.code, e.exit_code) == ("CLI_NOT_FOUND", 1)
        assert e.message == "%s could not be started: %s." % (wrapper, why) and "CPW_VAULT_BIN" in e.fix
        assert e.__context__ is None and e.__cause__ is None and HF not in full_traceback(e)


def test_a_cli_killed_by_a_signal_is_said_so_with_exit_code_1(tmp_path, monkeypatch):
    # It was "cpw-vault exited with -9: no message", and exit_code -9: SystemExit(err.exit_code) exited 247.
    killed = tmp_path / "killed"
    killed.write_text("#!/bin/sh\nkill -9 $$\n")
    killed.chmod(0o755)
    monkeypatch.setenv("CPW_VAULT_BIN", str(killed))
    with pytest.raises(cpw_vault.VaultError) as info:
        cpw_vault.get("huggingface", "token")
    e = info.value
    assert (e.code, e.exit_code, e.message) == ("CLI_FAILED", 1, "cpw-vault was killed by SIGKILL before it answered.")


def _get_in_a_worker(names):
    return cpw_vault.get(*names)


def _require_in_a_worker(name):
    return cpw_vault.require_workflow(name)


def test_an_error_raised_in_a_multiprocessing_worker_reaches_the_parent_as_itself(vault):
    # A stage that reads its key in Pool workers (one per GPU, one per file): the worker's CredentialMissing was pickled
    # back with only str(e), unpickling it called CredentialMissing(str(e)) (TypeError: code and message needed) in the
    # Pool's result thread, which died, and map() waited for ever instead of raising.
    import multiprocessing
    vault("huggingface", "token", HF)
    with multiprocessing.get_context("fork").Pool(2) as pool:
        assert pool.apply_async(_get_in_a_worker, (("huggingface", "token"),)).get(timeout=60) == HF
        with pytest.raises(cpw_vault.CredentialMissing) as info:
            pool.apply_async(_get_in_a_worker, (("tmdb", "api_key"),)).get(timeout=60)
        e = info.value
        assert (e.code, e.exit_code) == ("CREDENTIAL_MISSING", 3) and "cpw-vault set tmdb api_key" in e.fix
        with pytest.raises(cpw_vault.WorkflowNotReady) as info:
            pool.apply_async(_require_in_a_worker, ("subtitle",)).get(timeout=60)
        assert [m["credentials"] for m in info.value.missing] == [["tmdb.api_key"]]
        assert str(info.value).count("cpw-vault set tmdb api_key") == 1 and HF not in str(info.value)


def test_a_warning_with_nowhere_to_go_does_not_fail_the_read(vault, monkeypatch):
    # A stage with no stderr (pythonw, a daemon that closed it, a service started with 2>&-): passing on cpw-vault's
    # warning raised AttributeError (sys.stderr None), ValueError (closed) or OSError EBADF past `except VaultError`,
    # and the key, read fine, was lost.
    vault("huggingface", "token", HF)
    (vault.home / ".cp-whisperx" / "user.profile").chmod(0o644)
    closed = open(os.devnull, "w")
    closed.close()
    r, w = os.pipe()
    os.close(r)
    gone = open(w, "w", buffering=1)
    os.close(w)  # EBADF on write, as fd 2 closed under the stage
    try:
        for stderr in (None, closed, gone):
            monkeypatch.setattr(sys, "stderr", stderr)
            _cli._WARNED.clear()
            assert cpw_vault.get("huggingface", "token") == HF
            assert cpw_vault.workflow_env("transcribe")["HF_TOKEN"] == HF
    finally:
        monkeypatch.undo()
        try:
            gone.close()
        except OSError:
            pass


def test_a_file_planted_in_the_working_directory_under_the_command_lines_name_is_never_run(vault, tmp_path):
    # CPW_VAULT_BIN as `exec` hands it to its stage ("'/usr/bin/node' '/x/bin/cpw-vault.cjs'") was first tried whole as
    # a path, and a path with no leading "/" is looked up from the working directory: another user who can write there
    # (/tmp, a shared scratch folder) planted an executable under that name ("'" / "usr" / ... folders) and it ran in
    # cpw-vault's place, with the stage's environment (its keys), and its "value" was handed to the stage as the key.
    vault("huggingface", "token", HF)
    ran = tmp_path / "planted-ran"
    line = os.environ["CPW_VAULT_BIN"]
    assert not line.startswith("/")  # the command line exec hands its stage: each word quoted
    planted = tmp_path / line
    planted.parent.mkdir(parents=True)
    planted.write_text("#!/bin/sh\ntouch %s\nprintf %%s hf_PlantedPlantedPlantedPlanted1234\n" % shlex.quote(str(ran)))
    planted.chmod(0o755)
    assert os.getcwd() == str(tmp_path)
    assert cpw_vault.get("huggingface", "token") == HF
    assert cpw_vault.workflow_env("transcribe")["HF_TOKEN"] == HF
    assert not ran.exists()


def test_ctrl_c_while_a_warning_is_passed_on_shows_no_value_in_the_traceback(vault, monkeypatch):
    # Once cpw-vault had answered, its raw output (the value) sat in a local of run() while its warnings were written
    # to the stage's stderr, which blocks on a full pipe (a slow log reader): a Ctrl-C or a SIGTERM handler landing
    # there raised through that frame, and a traceback with locals (pytest -l, rich, Sentry) printed the value.
    vault("huggingface", "token", HF)
    (vault.home / ".cp-whisperx" / "user.profile").chmod(0o644)
    cpw_vault._secret._KNOWN.discard(HF)  # not read in this process before: nothing to scrub it with

    class Interrupted:
        def write(self, text):
            raise KeyboardInterrupt

    monkeypatch.setattr(sys, "stderr", Interrupted())
    _cli._WARNED.clear()
    with pytest.raises(KeyboardInterrupt) as info:
        cpw_vault.get("huggingface", "token")
    monkeypatch.undo()
    text = full_traceback(info.value)
    assert "_pass_on_warnings" in text and HF not in text


def test_a_verify_timeout_popen_cannot_pass_is_a_usage_error_and_nothing_runs(monkeypatch):
    # timeout went on the command line as str(timeout): one with a NUL raised Popen's ValueError past a stage's
    # `except VaultError`, and a long one (a config value read whole) was "CliNotFound: could not be started: argument
    # list too long", sending the user after a CLI that was fine.
    seen = []
    monkeypatch.setattr(_cli.subprocess, "Popen", lambda args, *rest, **kwargs: seen.append(list(args)))
    for timeout in ("20\0", "2" * 200000, "twenty", True, [20], float("nan")):
        with pytest.raises(cpw_vault.UsageError) as info:
            cpw_vault.verify("huggingface", "token", timeout=timeout)
        assert (info.value.code, info.value.exit_code) == ("INVALID_ARGUMENT", 2) and "timeout" in str(info.value)
    assert seen == []
