#!/usr/bin/env python3
"""Stage 06 (WhisperX ASR), run under `cpw-vault exec --workflow transcribe -- python3 06_whisperx_asr.py`."""
import os
import sys

hf_token = os.environ.get("HF_TOKEN")
print(f"[06_whisperx_asr] HuggingFace token loaded: {'yes' if hf_token else 'no'}")
if not hf_token:
    print("[06_whisperx_asr] run me under: cpw-vault exec --workflow transcribe -- python3 06_whisperx_asr.py", file=sys.stderr)
    sys.exit(3)
print("[06_whisperx_asr] alignment models can be fetched")
