"""Official DeepSeek-OCR v1 layout <-> native layout: every key accounted for, nothing lost, same logits."""

import json
import os

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from transformers import AutoModelForImageTextToText

from ocr_space.cli import main
from ocr_space.models import load_model
from ocr_space.models.v1_convert import (
    DROPPED,
    CheckpointConversionError,
    cached_native_folder,
    convert_from_v1,
    convert_to_v1,
    native_to_v1_state_dict,
    plan_from_v1,
    v1_to_native_state_dict,
)

PATCH_EMBEDDING = "model.vision_model.embeddings.patch_embedding.weight"


@pytest.fixture(scope="module")
def tiny_v1_official(tiny_v1_dir, tmp_path_factory):
    """The tiny v1 written in the official layout (per-expert Linear names, fused CLIP qkv, official config.json)."""
    out = tmp_path_factory.mktemp("official") / "tiny-v1-official"
    convert_to_v1(tiny_v1_dir, out)
    return out


@pytest.fixture(scope="module")
def native_model(tiny_v1_dir):
    return AutoModelForImageTextToText.from_pretrained(str(tiny_v1_dir)).eval()


def read_tensors(folder):
    tensors = {}
    for file in folder.glob("*.safetensors"):
        tensors.update(load_file(str(file)))
    return tensors


def test_official_folder_has_v1_names_and_config(tiny_v1_official):
    config = json.loads((tiny_v1_official / "config.json").read_text())
    assert config["model_type"] == "deepseek_vl_v2"
    assert config["architectures"] == ["DeepseekOCRForCausalLM"]
    assert config["language_config"]["first_k_dense_replace"] == 1
    keys = set(read_tensors(tiny_v1_official))
    for key in ("model.layers.1.mlp.experts.3.gate_proj.weight", "model.layers.1.mlp.experts.0.down_proj.weight",
                "model.vision_model.transformer.layers.0.self_attn.qkv_proj.weight", "model.view_seperator",
                "model.sam_model.net_3.weight", "model.projector.layers.weight", PATCH_EMBEDDING, "lm_head.weight"):
        assert key in keys
    assert not any(".language_model." in key or ".vision_tower." in key for key in keys)


def test_our_official_layout_matches_the_names_transformers_itself_saves(tiny_v1_dir, tiny_v1_official):
    """transformers 5.x saves this model under the original names (its load rules run backwards); ours must agree
    tensor for tensor (expert order, gate before up, q/k/v order), plus the patch embedding v1 carries."""
    saved_by_transformers = read_tensors(tiny_v1_dir)
    ours = read_tensors(tiny_v1_official)
    assert set(ours) - set(saved_by_transformers) == {PATCH_EMBEDDING}
    assert set(saved_by_transformers) <= set(ours)
    assert all(torch.equal(ours[key], tensor) for key, tensor in saved_by_transformers.items())


def test_official_layout_loads_through_load_model_with_the_same_logits(tiny_v1_dir, tiny_v1_official,
                                                                       example_lines, tmp_path, monkeypatch):
    monkeypatch.setenv("OCR_SPACE_CACHE", str(tmp_path / "cache"))
    native = load_model(str(tiny_v1_dir), device="cpu")
    converted = load_model(str(tiny_v1_official), device="cpu")  # converted on the fly into the cache
    assert converted.family.name == "deepseek-ocr"
    assert list((tmp_path / "cache" / "deepseek-ocr-v1-native").iterdir())
    inputs = native.processor(images=[str(example_lines[0])], text=["<image>\nFree OCR."], return_tensors="pt",
                              **native.family.mode("small").processor_kwargs(native.processor))
    with torch.no_grad():
        expected = native.model(**inputs).logits
        got = converted.model(**inputs).logits
    assert torch.equal(got, expected)


def test_conversion_is_cached_and_redone_when_the_checkpoint_changes(tiny_v1_official, tmp_path):
    first = cached_native_folder(tiny_v1_official, cache_dir=tmp_path)
    assert cached_native_folder(tiny_v1_official, cache_dir=tmp_path) == first
    config = tiny_v1_official / "config.json"
    stat = config.stat()
    os.utime(config, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # as if edited a second later
    assert cached_native_folder(tiny_v1_official, cache_dir=tmp_path) != first


def test_native_to_v1_to_native_is_lossless_in_memory(native_model):
    native = native_model.state_dict()
    text, encoder = native_model.config.text_config, native_model.config.vision_config.encoder_config
    official = native_to_v1_state_dict(native, text.n_routed_experts,
                                       (encoder.hidden_size, 3, encoder.patch_size, encoder.patch_size))
    back = v1_to_native_state_dict(official, text.n_routed_experts)
    assert set(back) == set(native)
    assert all(torch.equal(back[key], native[key]) for key in native)


def test_native_to_v1_to_native_folders_are_lossless(tiny_v1_official, native_model, tmp_path):
    report = convert_from_v1(tiny_v1_official, tmp_path / "back")
    assert report.dropped == [PATCH_EMBEDDING]
    reloaded = AutoModelForImageTextToText.from_pretrained(str(tmp_path / "back")).state_dict()
    original = native_model.state_dict()
    assert set(reloaded) == set(original)
    assert all(torch.equal(reloaded[key], original[key]) for key in original)


def test_experts_are_fused_gate_first_then_up():
    gate, up, down = torch.randn(3, 5), torch.randn(3, 5), torch.randn(5, 3)
    official = {f"model.layers.1.mlp.experts.{e}.{name}_proj.weight": tensor * (e + 1)
                for e in range(2) for name, tensor in (("gate", gate), ("up", up), ("down", down))}
    native = v1_to_native_state_dict(official, num_experts=2)
    fused = native["model.language_model.layers.1.mlp.experts.gate_up_proj"]
    assert fused.shape == (2, 6, 5)
    assert torch.equal(fused[1, :3], gate * 2) and torch.equal(fused[1, 3:], up * 2)
    assert torch.equal(native["model.language_model.layers.1.mlp.experts.down_proj"][0], down)


def test_only_clips_patch_embedding_is_dropped():
    assert list(DROPPED) == [PATCH_EMBEDDING]
    assert plan_from_v1([PATCH_EMBEDDING, "lm_head.weight"], num_experts=1).dropped == [PATCH_EMBEDDING]


def test_unknown_official_keys_are_an_error_naming_them():
    with pytest.raises(CheckpointConversionError, match="model.mystery_tower.weight"):
        plan_from_v1(["lm_head.weight", "model.mystery_tower.weight"], num_experts=1)


def test_missing_experts_are_an_error_naming_them():
    keys = [f"model.layers.1.mlp.experts.{e}.{name}_proj.weight" for e in range(3) for name in ("gate", "up", "down")]
    keys.remove("model.layers.1.mlp.experts.2.up_proj.weight")
    with pytest.raises(CheckpointConversionError, match=r"experts\.2\.up_proj"):
        plan_from_v1(keys, num_experts=3)


def test_a_checkpoint_missing_weights_the_config_needs_is_refused(tiny_v1_official, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    for file in tiny_v1_official.iterdir():
        if file.suffix != ".safetensors":
            (broken / file.name).write_bytes(file.read_bytes())
    tensors = read_tensors(tiny_v1_official)
    del tensors["lm_head.weight"]
    save_file(tensors, str(broken / "model.safetensors"), metadata={"format": "pt"})
    with pytest.raises(CheckpointConversionError, match="lm_head.weight"):
        convert_from_v1(broken, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # no half-written folder


def test_convert_command_round_trip(tiny_v1_official, tmp_path, capsys):
    assert main(["convert", "--from-v1", str(tiny_v1_official), "--out", str(tmp_path / "native")]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["direction"] == "from-v1" and summary["dropped"] == [PATCH_EMBEDDING]
    with safe_open(str(tmp_path / "native" / "model.safetensors"), "pt") as handle:
        assert "model.language_model.layers.1.mlp.experts.gate_up_proj" in handle.keys()
    assert main(["convert", "--to-v1", str(tmp_path / "native"), "--out", str(tmp_path / "v1")]) == 0
    assert json.loads((tmp_path / "v1" / "config.json").read_text())["model_type"] == "deepseek_vl_v2"


def test_convert_refuses_to_overwrite_a_folder(tiny_v1_official, tiny_v1_dir, capsys):
    assert main(["convert", "--from-v1", str(tiny_v1_official), "--out", str(tiny_v1_dir)]) == 2
    assert "not empty" in capsys.readouterr().err


def test_convert_from_v1_refuses_a_native_folder(tiny_v1_dir, tmp_path, capsys):
    assert main(["convert", "--from-v1", str(tiny_v1_dir), "--out", str(tmp_path / "x")]) == 2
    assert "not an official DeepSeek-OCR v1 checkpoint" in capsys.readouterr().err
