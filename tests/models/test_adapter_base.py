"""An adapter applied to another base model than the one it was trained on is explained, not a PEFT trace."""

import logging

import pytest

from ocr_space.errors import ModelLoadError
from ocr_space.models import load_model
from ocr_space.models.adapter_base import base_mismatch, hub_repo_id, same_base


def test_a_local_copy_and_a_cache_snapshot_of_the_hub_base_count_as_the_same_base():
    snapshot = "/root/.cache/huggingface/hub/models--deepseek-community--DeepSeek-OCR-2/snapshots/0123abc"
    assert hub_repo_id(snapshot) == "deepseek-community/DeepSeek-OCR-2"
    assert same_base("deepseek-community/DeepSeek-OCR-2", snapshot)
    assert same_base("deepseek-community/DeepSeek-OCR-2", "/models/deepseek-ocr-2/")
    assert not same_base("deepseek-community/DeepSeek-OCR-2", "unsloth/DeepSeek-OCR")


def test_nothing_recorded_is_no_mismatch():
    assert base_mismatch("me/lora", None, "a/b") is None


def test_an_adapter_on_a_differently_shaped_base_names_both_bases(run_dir, tiny_model_dir, tmp_path):
    import torch
    from transformers import AutoConfig, AutoModelForImageTextToText, AutoProcessor

    config = AutoConfig.from_pretrained(tiny_model_dir)
    config.text_config.intermediate_size = 96  # the dense MLP (an adapted layer) changes shape
    torch.manual_seed(0)
    other = tmp_path / "other-base"
    AutoModelForImageTextToText.from_config(config).save_pretrained(other)
    AutoProcessor.from_pretrained(tiny_model_dir).save_pretrained(other)

    with pytest.raises(ModelLoadError) as caught:
        load_model(str(other), adapter=str(run_dir / "adapter"), device="cpu")
    message = str(caught.value)
    assert f"was trained on base model {str(tiny_model_dir)!r}" in message
    assert f"being applied to {str(other)!r}" in message
    assert f"load_model({str(tiny_model_dir)!r}, adapter=" in message


def test_an_adapter_on_a_same_shaped_other_base_loads_with_a_warning(run_dir, tmp_path, caplog):
    from ocr_space.testing import build_tiny_model

    other = build_tiny_model(tmp_path / "another-tiny", seed=1)
    with caplog.at_level(logging.WARNING, logger="ocr_space.models.loading"):
        loaded = load_model(str(other), adapter=str(run_dir / "adapter"), device="cpu")
    assert loaded.adapter == str(run_dir / "adapter")
    assert "was trained on base model" in caplog.text


def test_an_adapter_on_its_own_base_loads_without_a_warning(run_dir, tiny_model_dir, caplog):
    with caplog.at_level(logging.WARNING, logger="ocr_space.models.loading"):
        load_model(str(tiny_model_dir), adapter=str(run_dir / "adapter"), device="cpu")
    assert "was trained on base model" not in caplog.text
