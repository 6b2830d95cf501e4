#!/usr/bin/env python3
"""Stage 13 (AI summarization): asks cpw-vault which provider is ready, then reads that key.

The provider named in preferences.ai_provider is preferred; cpw-vault falls back to
another configured one with a warning. Cost tracking follows the user's preference.
"""
import sys

import cpw_vault


def main():
    try:
        status = cpw_vault.require_workflow("summarize")
        provider = status["uses"][0].split(".")[0]
        api_key = cpw_vault.get(provider, "api_key")
        prefs = cpw_vault.preferences()
    except cpw_vault.VaultError as err:
        print(f"[13_ai_summarization] cannot run: [{err.code}] {err}", file=sys.stderr)
        return err.exit_code
    for warning in status["warnings"]:
        print(f"[13_ai_summarization] warning: {warning}", file=sys.stderr)
    print(f"[13_ai_summarization] provider: {provider}; API key loaded: {'yes' if api_key else 'no'}")
    print(f"[13_ai_summarization] cost tracking: {'on' if prefs['enable_cost_tracking'] else 'off'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
