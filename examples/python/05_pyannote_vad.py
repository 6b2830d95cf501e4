#!/usr/bin/env python3
"""Stage 05 (pyannote VAD), run under `cpw-vault exec --workflow diarize -- python3 05_pyannote_vad.py`.

exec puts the workflow's credentials in the environment (all aliases); the stage
just reads os.environ. pyannote accepts a HuggingFace token in place of its own.
"""
import os
import sys

token = os.environ.get("PYANNOTE_API_TOKEN") or os.environ.get("HF_TOKEN")
print(f"[05_pyannote_vad] pyannote token loaded: {'yes' if token else 'no'}")
if not token:
    print("[05_pyannote_vad] run me under: cpw-vault exec --workflow diarize -- python3 05_pyannote_vad.py", file=sys.stderr)
    sys.exit(3)
print("[05_pyannote_vad] voice activity detection ready")
