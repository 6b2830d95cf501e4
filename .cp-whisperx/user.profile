{
  "version": "2.0",
  "user": {
    "name": "",
    "email": "",
    "job_title": "",
    "timezone": "Etc/UTC",
    "avatar_url": "",
    "created_at": "2026-12-04T11:18:37.660Z",
    "updated_at": "2026-12-04T11:18:37.660Z"
  },
  "credentials": {
    "huggingface": {
      "token": ""
    },
    "pyannote": {
      "token": ""
    },
    "tmdb": {
      "api_key": ""
    },
    "openai": {
      "api_key": "",
      "organization_id": ""
    },
    "anthropic": {
      "api_key": ""
    },
    "google": {
      "api_key": ""
    }
  },
  "online_services": {
    "youtube": {
      "enabled": false,
      "api_key": ""
    },
    "vimeo": {
      "enabled": false,
      "access_token": ""
    }
  },
  "preferences": {
    "default_workflow": "transcribe",
    "default_source_language": "en",
    "ai_provider": "openai",
    "enable_cost_tracking": true,
    "notifications": {
      "run_finished": true,
      "run_failed": true,
      "credential_missing": true
    },
    "history_max_runs": 500,
    "history_max_age_days": 90
  },
  "credential_metadata": {
    "huggingface.token": {
      "created_at": "2026-12-04T11:18:37.661Z",
      "updated_at": "2026-12-04T11:18:37.661Z",
      "hint": "••••0123",
      "storage": "keychain"
    }
  },
  "storage": {
    "backend": "keychain",
    "namespace": ""
  }
}
