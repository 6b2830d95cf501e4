#!/usr/bin/env python3
"""Stage 06 (WhisperX ASR), run under `cpw-vault exec --workflow transcribe -- python3 06_whisperx_asr.py`.

exec gives the stage its credentials (HF_TOKEN, HUGGING_FACE_HUB_TOKEN) and no others, and the
pipeline preferences: CPW_SOURCE_LANGUAGE, CPW_AI_PROVIDER, CPW_COST_TRACKING ("1"/"0").
"""
import os
import sys

hf_token = os.environ.get("HF_TOKEN")
print(f"[06_whisperx_asr] HuggingFace token loaded: {'yes' if hf_token else 'no'}")
if not hf_token:
    print("[06_whisperx_asr] run me under: cpw-vault exec --workflow transcribe -- python3 06_whisperx_asr.py", file=sys.stderr)
    sys.exit(3)
language = os.environ.get("CPW_SOURCE_LANGUAGE", "auto")
print(f"[06_whisperx_asr] source language: {language}; cost tracking: {'on' if os.environ.get('CPW_COST_TRACKING') == '1' else 'off'}")
print("[06_whisperx_asr] alignment models can be fetched")
