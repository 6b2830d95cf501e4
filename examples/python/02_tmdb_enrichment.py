#!/usr/bin/env python3
"""Stage 02 (TMDB enrichment), reading its keys with the cpw_vault package (pip install ./python).

Before: json.load(open('config/secrets.json'))['tmdb_api_key'].
Now: the key comes from the OS keychain (or TMDB_API_KEY), and only its presence is logged.
"""
import logging
import sys

import cpw_vault

logging.basicConfig(level=logging.INFO, format="[02_tmdb_enrichment] %(message)s", stream=sys.stdout)
log = logging.getLogger()


def main():
    try:
        cpw_vault.require_workflow("subtitle")  # WorkflowNotReady lists what is missing and the fix
        tmdb_api_key = cpw_vault.get("tmdb", "api_key")
    except cpw_vault.VaultError as err:
        print(f"[02_tmdb_enrichment] cannot run: [{err.code}] {err}", file=sys.stderr)
        return err.exit_code
    log.info("TMDB API key loaded: %s", "yes" if tmdb_api_key else "no")
    log.debug("key object: %r", tmdb_api_key)  # even at debug level this logs Secret('****'), never the key
    # The real stage would now call https://api.themoviedb.org/3/search/movie with it.
    log.info("enrichment ready")
    return 0


if __name__ == "__main__":
    sys.exit(main())
