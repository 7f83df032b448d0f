"""Fixtures for Hub tests: the local Hub stand-in, a user with a token, a run folder to push.

tests/conftest.py imports them, so every test folder can ask for them by name.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.hub_server import HubServer, HubState

USER = "alice"
TRAINING_CONFIG = (
    "model: {base}\ndataset: /data/ocr-space/datasets/lines\nsteps: 3\nlearning_rate: 0.0002\nbatch_size: 2\n"
)
METRICS = {"cer_before": 0.875, "cer_after": 0.125, "eval_samples": 8, "split": "test"}


@dataclass
class LocalHub:
    endpoint: str
    state: HubState
    token: str
    user: str


@pytest.fixture(scope="session")
def hub_server():
    server = HubServer().start()
    yield server
    server.stop()


@pytest.fixture
def hub(hub_server, monkeypatch, tmp_path) -> LocalHub:
    """A fresh Hub with one user (``alice``, also in org ``ocr-team``), reachable as if online.

    ``huggingface_hub`` reads HF_HUB_OFFLINE and HF_ENDPOINT at import, so the
    module constants are patched for the test; HF_HOME points at a per-test
    folder, so the download cache can be inspected.
    """
    from huggingface_hub import constants, hf_api

    hub_server.state.reset()
    token = "hf_" + secrets.token_hex(16)
    hub_server.state.add_user(USER, token, orgs=("ocr-team",))
    hub_server.state.add_user("bob", "hf_" + secrets.token_hex(16))
    home = tmp_path / "hf-home"
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", hub_server.endpoint)
    monkeypatch.setattr(hf_api.api, "endpoint", hub_server.endpoint)  # the module-level HfApi behind file_exists etc.
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE",
                        hub_server.endpoint + "/{repo_id}/resolve/{revision}/{filename}")
    monkeypatch.setattr(constants, "HF_HOME", str(home))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(home / "hub"))
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(home / "token"))
    monkeypatch.setattr(constants, "HF_STORED_TOKENS_PATH", str(home / "stored_tokens"))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    return LocalHub(endpoint=hub_server.endpoint, state=hub_server.state, token=token, user=USER)


@pytest.fixture(scope="session")
def run_dir(tiny_model_dir, tmp_path_factory) -> Path:
    """A training run folder as the Fine-tune job writes it: adapter/ (PEFT + processor files +
    training_config.yaml) and metrics.json. The LoRA weights are random, so the adapter changes the output."""
    import torch
    from peft import get_peft_model

    from ocr_space.models import load_model
    from ocr_space.models.lora import LoraSettings, lora_config

    run = tmp_path_factory.mktemp("run")
    base = load_model(str(tiny_model_dir), device="cpu")
    config = lora_config(base.family, LoraSettings(r=4, alpha=8))
    config.init_lora_weights = False
    torch.manual_seed(7)
    peft_model = get_peft_model(base.model, config)
    peft_model.save_pretrained(run / "adapter")
    base.processor.save_pretrained(run / "adapter")
    (run / "adapter" / "training_config.yaml").write_text(TRAINING_CONFIG.format(base=tiny_model_dir))
    (run / "metrics.json").write_text(json.dumps(METRICS))
    return run
