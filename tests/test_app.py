"""The real app.py, launched on a free port, driven through gradio_client like any API user."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def live_app(tiny_model_dir):
    port = _free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONPATH": str(ROOT),
           "GRADIO_SERVER_PORT": str(port), "OCR_SPACE_MODEL": str(tiny_model_dir)}
    log = open(ROOT / ".pytest_cache" / "app.log", "w") if (ROOT / ".pytest_cache").is_dir() else subprocess.DEVNULL
    process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"app.py exited early with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.5)
    else:
        process.kill()
        pytest.fail("app.py did not start listening within 120 s")
    yield url
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def client(live_app):
    from gradio_client import Client

    return Client(live_app, verbose=False)


def test_recognize_through_the_api(client, tiny_model_dir, example_lines):
    from gradio_client import handle_file

    text, details = client.predict(handle_file(str(example_lines[0])), str(tiny_model_dir), "", "ocr", "default", 16,
                                   api_name="/recognize")
    assert isinstance(text, str) and text
    assert "new tokens" in details


def test_missing_model_folder_is_a_message_not_a_traceback(client, tmp_path, example_lines):
    from gradio_client import handle_file

    with pytest.raises(Exception) as caught:
        client.predict(handle_file(str(example_lines[0])), str(tmp_path / "no-such-model"), "", "ocr", "default",
                       16, api_name="/recognize")
    message = str(caught.value)
    assert "Model folder not found" in message
    assert "Traceback" not in message
