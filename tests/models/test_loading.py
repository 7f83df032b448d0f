import json

import pytest
import torch

from ocr_space.errors import ModelLoadError
from ocr_space.models import load_model


def test_tiny_model_loads_through_the_user_path(tiny_model_dir, tiny_loaded):
    assert (tiny_model_dir / "config.json").is_file()
    assert json.loads((tiny_model_dir / "config.json").read_text())["model_type"] == "deepseek_ocr2"
    assert type(tiny_loaded.model).__name__ == "DeepseekOcr2ForConditionalGeneration"
    assert type(tiny_loaded.processor).__name__ == "DeepseekOcr2Processor"
    assert tiny_loaded.describe() == {"model": str(tiny_model_dir), "adapter": None, "family": "deepseek-ocr-2",
                                      "device": "cpu", "dtype": "float32"}


def _logits(loaded, image):
    inputs = loaded.processor(images=image, text=loaded.family.ocr_prompt, return_tensors="pt")
    with torch.no_grad():
        return loaded.model(**inputs).logits


def test_a_saved_lora_adapter_changes_the_logits(tiny_model_dir, tiny_loaded, tmp_path, example_lines):
    from peft import get_peft_model

    from ocr_space.images import load_image
    from ocr_space.models.lora import LoraSettings, lora_config

    base = load_model(str(tiny_model_dir), device="cpu")
    config = lora_config(base.family, LoraSettings(r=4, alpha=8))
    config.init_lora_weights = False  # random A and B: a fresh default adapter is a no-op by design
    torch.manual_seed(1)
    in_memory = get_peft_model(base.model, config)
    in_memory.save_pretrained(tmp_path / "adapter")
    image = load_image(example_lines[0])
    expected = _logits(base, image)  # base.model now carries the adapter in memory

    tuned = load_model(str(tiny_model_dir), adapter=str(tmp_path / "adapter"), device="cpu")
    assert tuned.adapter == str(tmp_path / "adapter")
    reloaded = _logits(tuned, image)
    assert not torch.allclose(_logits(tiny_loaded, image), reloaded, atol=1e-4)
    # every adapter weight came back, routed experts and decoder included
    torch.testing.assert_close(reloaded, expected)


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(ModelLoadError, match="Model folder not found"):
        load_model(str(tmp_path / "missing"))


def test_folder_without_config_hints_at_adapters(tmp_path):
    with pytest.raises(ModelLoadError, match="no config.json"):
        load_model(str(tmp_path))


def test_hub_id_offline_explains_the_situation():
    with pytest.raises(ModelLoadError, match="unreachable|offline"):
        load_model("deepseek-community/DeepSeek-OCR-2")


def test_adapter_folder_without_adapter_config_is_refused(tiny_model_dir, tmp_path):
    with pytest.raises(ModelLoadError, match="adapter_config.json"):
        load_model(str(tiny_model_dir), adapter=str(tmp_path))
