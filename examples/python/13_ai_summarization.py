#!/usr/bin/env python3
"""Stage 13 (AI summarization): asks cpw-vault which provider is ready, then reads that key.

The provider named in preferences.ai_provider is preferred; cpw-vault falls back to
another configured one with a warning.
"""
import sys

from cpw_vault import VaultUnavailable, check_workflow, fail, get_credential


def main():
    try:
        status = check_workflow("summarize")
        provider = status["uses"][0].split(".")[0]
        api_key = get_credential(provider, "api_key")
    except VaultUnavailable as err:
        fail("13_ai_summarization", err)
    for warning in status["warnings"]:
        print(f"[13_ai_summarization] warning: {warning}", file=sys.stderr)
    print(f"[13_ai_summarization] provider: {provider}; API key loaded: {'yes' if api_key else 'no'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
