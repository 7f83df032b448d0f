"""Resume restores adapter weights for real: every tensor compared, a mismatch is an error."""

import pytest
import torch
from peft import get_peft_model, get_peft_model_state_dict

from ocr_space.models import load_model
from ocr_space.models.lora import LoraSettings, lora_config
from ocr_space.train.checkpoints import CheckpointError, restore_adapter_weights


def _random_adapter(model_dir, r: int, seed: int):
    loaded = load_model(str(model_dir), device="cpu")
    config = lora_config(loaded.family, LoraSettings(r=r, alpha=r))
    config.init_lora_weights = False  # random A and B, so a missed tensor cannot look restored
    torch.manual_seed(seed)
    return get_peft_model(loaded.model, config)


def test_every_adapter_tensor_comes_back_decoder_and_experts_included(reader_model_dir, tmp_path):
    saved = _random_adapter(reader_model_dir, r=4, seed=1)
    saved.save_pretrained(tmp_path / "checkpoint")
    fresh = _random_adapter(reader_model_dir, r=4, seed=2)

    restored = restore_adapter_weights(fresh, tmp_path / "checkpoint")

    expected = get_peft_model_state_dict(saved)
    assert restored == len(expected)
    assert any(".language_model.layers." in key for key in expected)
    assert any("experts" in key for key in expected)
    for key, tensor in get_peft_model_state_dict(fresh).items():
        torch.testing.assert_close(tensor, expected[key])


def test_a_checkpoint_of_another_shape_is_refused(reader_model_dir, tmp_path):
    _random_adapter(reader_model_dir, r=4, seed=1).save_pretrained(tmp_path / "checkpoint")
    with pytest.raises(CheckpointError, match="does not fit"):
        restore_adapter_weights(_random_adapter(reader_model_dir, r=8, seed=2), tmp_path / "checkpoint")


def test_a_folder_without_adapter_weights_is_not_a_checkpoint(reader_model_dir, tmp_path):
    with pytest.raises(CheckpointError, match="no adapter weights"):
        restore_adapter_weights(_random_adapter(reader_model_dir, r=4, seed=1), tmp_path)
