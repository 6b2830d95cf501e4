"""Whether a name is a secret value typed where a name goes: shared/core/credential.ts's looksLikeKey, in Python.

Asked before the CLI runs, so a key passed as a name (`get("tmdb", tmdb_key)`) never reaches its command line, where
`ps` shows it (the CLI refuses such names too, but only once they are in its argv). tests/python/python-package.test.ts
checks both answer alike.
"""

import re

# 32 or more hex digits (a TMDB v3 or Vimeo key), and hf_ or sk-/sk_ followed by a token's length.
_SECRET_SHAPED_NAME = re.compile(r"(?:[0-9a-f]{32,}|hf_[a-z0-9]{30,}|sk[-_][a-z0-9_-]{20,})\Z", re.ASCII)
# Keys in the formats their providers give: Google (AIza), GitHub, Slack, GitLab, AWS access key ids, HuggingFace.
_KEY_FORMAT = re.compile(r"(?:AIza[\w-]{30,}|gh[opsu]_[A-Za-z0-9]{30,}|github_pat_\w{22,}|xox[abprs]-\d+-[\w-]{8,}"
                         r"|glpat-[\w-]{20,}|AKIA[A-Z0-9]{16,}|hf_[A-Za-z0-9]{30,})\Z", re.ASCII)
_ALNUM = re.compile(r"[A-Za-z0-9]+\Z")
_SHORTEST_KEY = 15


def _digit_runs(part):
    """How often the characters of `part` change between digit and letter: a random token's interleave."""
    return sum(1 for a, b in zip(part, part[1:]) if ("0" <= a <= "9") != ("0" <= b <= "9"))


def looks_like_key(name):
    """A secret shape, a provider's key format, or a part (split at ".", "_", "-") of 16 or more letters and digits
    that interleave at least twice each way; names with a version or a year in them stay names."""
    if len(name) < _SHORTEST_KEY:
        return False
    if _SECRET_SHAPED_NAME.match(name) or _KEY_FORMAT.match(name):
        return True
    return any(len(p) >= 16 and _ALNUM.match(p) and _digit_runs(p) >= 4 for p in re.split(r"[._-]+", name))
