"""A Space-like app for the public-mode tests: app.py with SPACE_ID set, and visitors signed in the way Gradio's
OAuth stores them (``oauth_info`` in Starlette's signed session cookie, keyed by the OAuth client secret)."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

#: any value works offline; the session cookie is signed with a key derived from it (gradio/oauth.py)
CLIENT_SECRET = "test-oauth-secret"
OWNER = "owner"
#: the owner's HF_TOKEN in the app's environment: visitors' Hub reads must never carry it
OWNER_TOKEN = "hf_ownertoken0123456789abcdef01"


def space_env(root: Path, model: Path, trainers: str, extra: dict | None = None) -> dict:
    """The environment of a Space-like app.py: SYSTEM=spaces and SPACE_ID as the platform sets them, the four OAuth
    variables (so Gradio starts offline), the owner,
    the allow-list and the folders, all under ``root``."""
    return {"SYSTEM": "spaces", "SPACE_ID": f"{OWNER}/ocr-space", "SPACE_AUTHOR_NAME": OWNER,
            "OCR_SPACE_TRAINERS": trainers,
            "OAUTH_CLIENT_ID": "test-client", "OAUTH_CLIENT_SECRET": CLIENT_SECRET,
            "OAUTH_SCOPES": "openid profile", "OPENID_PROVIDER_URL": "http://127.0.0.1:9",
            "OCR_SPACE_HOST": "127.0.0.1", "OCR_SPACE_MODEL": str(model),
            "OCR_SPACE_RUNS": str(root / "runs"), "OCR_SPACE_DATASETS": str(root / "datasets"),
            "OCR_SPACE_USERS": str(root / "users"), "HF_TOKEN": None, **(extra or {})}


def session_cookie(username: str, token: str = "") -> str:
    """The ``session`` cookie Gradio's OAuth callback would set for ``username`` (Starlette SessionMiddleware)."""
    import itsdangerous

    info = {"access_token": token or f"hf_oauth_{username}", "token_type": "bearer", "scope": "openid profile",
            "expires_at": int(time.time()) + 3600,
            "userinfo": {"preferred_username": username, "name": username.title(), "sub": username,
                         "profile": f"https://huggingface.co/{username}", "picture": ""}}
    secret = hashlib.sha256((CLIENT_SECRET + "-v4").encode()).hexdigest()
    data = base64.b64encode(json.dumps({"oauth_info": info}).encode("utf-8"))
    return itsdangerous.TimestampSigner(secret).sign(data).decode("utf-8")


@dataclass
class Visitors:
    url: str

    def signed_in(self, username: str):
        from gradio_client import Client

        return Client(self.url, verbose=False, headers={"Cookie": f"session={session_cookie(username)}"})

    def anonymous(self):
        from gradio_client import Client

        return Client(self.url, verbose=False)


def call_error(client, *args, api_name: str, **kwargs) -> str:
    """The message of the error a call ends in (the test fails if it succeeds)."""
    try:
        result = client.predict(*args, api_name=api_name, **kwargs)
    except Exception as exc:  # noqa: BLE001 - gradio_client raises AppError for gr.Error
        return str(exc)
    raise AssertionError(f"{api_name} succeeded: {str(result)[:300]}")
