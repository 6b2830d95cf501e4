#!/bin/sh
# A shell pipeline step: check the workflow, then load its keys into this shell.
#   sh examples/shell/subtitle.sh
set -eu
CPW_VAULT=${CPW_VAULT:-cpw-vault}
status=0
"$CPW_VAULT" check subtitle || status=$?
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
exports=$("$CPW_VAULT" env --workflow subtitle) || exit $?
eval "$exports"
echo "[subtitle.sh] TMDB API key loaded: $([ -n "${TMDB_API_KEY:-}" ] && echo yes || echo no)"
echo "[subtitle.sh] HuggingFace token loaded: $([ -n "${HF_TOKEN:-}" ] && echo yes || echo no)"
