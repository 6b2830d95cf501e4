#!/bin/sh
# A shell pipeline step: check the workflow, then load its keys into this shell.
#   sh examples/shell/subtitle.sh     (or under: cpw-vault exec --workflow subtitle -- sh examples/shell/subtitle.sh)
set -eu
# The cpw-vault to run: $CPW_VAULT (one word: a path); under `cpw-vault exec`, the one running this stage
# ($CPW_VAULT_BIN, the command line exec gives quoted for sh, as the Python package reads it: with only `npx`, or
# `node bin/cpw-vault.cjs`, there is no cpw-vault on PATH); else cpw-vault on PATH.
if [ -n "${CPW_VAULT:-}" ]; then
  set -- "$CPW_VAULT"
elif [ -n "${CPW_VAULT_BIN:-}" ] && [ -f "$CPW_VAULT_BIN" ]; then
  set -- "$CPW_VAULT_BIN" # an absolute path as it is, spaces and all
elif [ -n "${CPW_VAULT_BIN:-}" ]; then
  eval "set -- $CPW_VAULT_BIN"
else
  set -- cpw-vault
fi
CPW_VAULT=${CPW_VAULT:-${CPW_VAULT_BIN:-cpw-vault}} # as it is named in the messages below
status=0
"$@" check subtitle || status=$?
if [ "$status" -eq 127 ] || [ "$status" -eq 126 ]; then
  # The shell's "not found" (or "permission denied"), not cpw-vault's words: say where it was looked for.
  echo "[subtitle.sh] cannot run: $CPW_VAULT could not be started. Put cpw-vault on PATH, or set CPW_VAULT to its path (one word: node_modules/.bin/cpw-vault, not \"npx cpw-vault\")." >&2
  exit "$status"
elif [ "$status" -ne 0 ]; then
  echo "[subtitle.sh] cannot run (cpw-vault said why above)" >&2
  exit "$status"
fi
# Values go into the environment of this shell only; the script prints presence, never values.
# Not eval "$(...)" alone: eval of an empty output succeeds, and a failed env (a keychain locked since the
# check) would go unnoticed. The assignment keeps env's exit status.
exports=$("$@" env --workflow subtitle) || exit $?
eval "$exports"
echo "[subtitle.sh] TMDB API key loaded: $([ -n "${TMDB_API_KEY:-}" ] && echo yes || echo no)"
echo "[subtitle.sh] HuggingFace token loaded: $([ -n "${HF_TOKEN:-}" ] && echo yes || echo no)"
