"""A Space rehearsal: what a Hugging Face Space does with this repo, on this machine.

A fresh virtual environment gets ``requirements.txt`` and nothing else (pip may
reuse its cache and local wheels); ``app.py`` starts with the variables a Space
sets (``SPACE_ID``, ``SYSTEM=spaces``, the OAuth variables of ``hf_oauth: true``)
and a temporary folder standing in for ``/data``; the app must answer on its
port, in both languages, and put its work under that folder. Slow (minutes): it
runs only when asked for (``-m space_rehearsal``; ``.ci/run`` does, after the suite).
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.space_rehearsal


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode("utf-8")


def test_a_fresh_venv_from_requirements_runs_the_app_like_a_space(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    clean = {key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV", "PYTHONPATH", "HF_HOME")}
    install = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-r",
                              str(ROOT / "requirements.txt")], capture_output=True, text=True, env=clean, timeout=900)
    assert install.returncode == 0, install.stderr[-3000:]

    data, port = tmp_path / "data", _free_port()
    data.mkdir()
    env = {**clean, "SPACE_ID": "someone/ocr-space", "SYSTEM": "spaces", "OCR_SPACE_DATA": str(data),
           "GRADIO_SERVER_PORT": str(port), "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
           # hf_oauth: true makes a Space set these; without them Gradio tries its mocked login, which needs the Hub
           "OAUTH_CLIENT_ID": "rehearsal", "OAUTH_CLIENT_SECRET": "rehearsal", "OAUTH_SCOPES": "openid profile",
           "OPENID_PROVIDER_URL": "http://127.0.0.1:9"}
    log = tmp_path / "app.log"
    with open(log, "w") as output:
        app = subprocess.Popen([str(venv / "bin" / "python"), "app.py"], cwd=ROOT, env=env, stdout=output,
                               stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 240
            while True:
                assert app.poll() is None, log.read_text()[-3000:]
                try:
                    page = _get(f"http://127.0.0.1:{port}/")
                    break
                except OSError:
                    assert time.monotonic() < deadline, log.read_text()[-3000:]
                    time.sleep(1)
            config = json.loads(_get(f"http://127.0.0.1:{port}/config"))
        finally:
            app.terminate()
            app.wait(30)

    assert "ocr-space" in page
    translations = config["i18n_translations"]
    assert translations["zh-CN"]["finetune.tab"] == "微调" and translations["en"]["finetune.tab"] == "Fine-tune"
    # the work folders live on the stand-in for /data, and the app says nothing about lost work
    assert {path.name for path in (data / "ocr-space").iterdir()} >= {"runs", "datasets", "reports"}
    assert "lost when it restarts" not in log.read_text()
