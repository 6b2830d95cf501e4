#!/usr/bin/env python3
"""Stage 02 (TMDB enrichment), reading its keys with `cpw-vault get` via subprocess.

Before: json.load(open('config/secrets.json'))['tmdb_api_key'].
Now: the key comes from the OS keychain (or TMDB_API_KEY), and only its presence is logged.
"""
import logging
import sys

from cpw_vault import VaultUnavailable, check_workflow, fail, get_credential

logging.basicConfig(level=logging.INFO, format="[02_tmdb_enrichment] %(message)s", stream=sys.stdout)
log = logging.getLogger()


def main():
    try:
        check_workflow("subtitle")
        tmdb_api_key = get_credential("tmdb", "api_key")
    except VaultUnavailable as err:
        fail("02_tmdb_enrichment", err)
    log.info("TMDB API key loaded: %s", "yes" if tmdb_api_key else "no")
    # The real stage would now call https://api.themoviedb.org/3/search/movie with it.
    log.info("enrichment ready")
    return 0


if __name__ == "__main__":
    sys.exit(main())
