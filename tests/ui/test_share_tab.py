"""The Share tab, driven through gradio_client against the real app.py and the local Hub."""

import shutil
from pathlib import Path

import pytest

from support.live_app import running_app

TOKEN = "hf_sharetabtoken0123456789abcdef"


@pytest.fixture(scope="module")
def runs(run_dir, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("runs")
    shutil.copytree(run_dir, root / "lines-run")
    return root


@pytest.fixture(scope="module")
def share_app(hub_server, runs, tiny_model_dir, tmp_path_factory):
    """app.py pointed at the local Hub through HF_ENDPOINT, the way a deployment would point it elsewhere."""
    home = tmp_path_factory.mktemp("hf-home")
    env = {"HF_HUB_OFFLINE": "0", "HF_ENDPOINT": hub_server.endpoint, "HF_HOME": str(home),
           "OCR_SPACE_MODEL": str(tiny_model_dir), "OCR_SPACE_RUNS": str(runs), "HF_TOKEN": None, "SPACE_ID": None}
    with running_app(env, home / "app.log") as url:
        yield url, home / "app.log"


@pytest.fixture(scope="module")
def client(share_app):
    from gradio_client import Client

    return Client(share_app[0], verbose=False)


@pytest.fixture
def alice(hub_server):
    hub_server.state.reset()
    hub_server.state.add_user("alice", TOKEN)
    return hub_server.state


def test_the_runs_folder_is_offered(client, runs):
    update = client.predict(api_name="/list_runs")
    assert str(runs / "lines-run") in str(update)


def test_push_adapter_from_a_run_folder(client, alice, runs):
    message = client.predict(str(runs / "lines-run"), "alice/ui-lora", True, "", TOKEN, api_name="/push_adapter")

    assert "Pushed the **adapter** to [alice/ui-lora]" in message and "(private)" in message
    assert {"adapter_model.safetensors", "README.md", "metrics.json"} <= set(alice.repo("alice/ui-lora").files)


def test_a_rejected_token_is_a_message_without_traceback_or_token(client, alice, runs, share_app):
    with pytest.raises(Exception) as caught:
        client.predict(str(runs / "lines-run"), "alice/ui-lora", True, "", "hf_wrongtoken987", api_name="/push_adapter")
    message = str(caught.value)
    assert "rejected your token (401)" in message
    assert "Traceback" not in message and "hf_wrongtoken987" not in message
    assert "hf_wrongtoken987" not in share_app[1].read_text() and TOKEN not in share_app[1].read_text()


def test_push_dataset_needs_a_dataset_folder(client, alice, tmp_path):
    with pytest.raises(Exception, match="parquet"):
        client.predict(str(tmp_path), "alice/lines", True, TOKEN, api_name="/push_dataset")


def test_on_a_space_the_servers_token_is_never_used_for_visitors(monkeypatch, run_dir, hub_server):
    import gradio as gr

    from ocr_space.ui.share_tab import run_push_adapter

    hub_server.state.reset()
    monkeypatch.setenv("SPACE_ID", "someone/ocr-space")
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    with pytest.raises(gr.Error, match="Sign in with Hugging Face"):
        run_push_adapter(str(run_dir), "alice/x", True, "", "", None)
    assert hub_server.state.requests == []
