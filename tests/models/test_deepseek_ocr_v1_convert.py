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
from ocr_space.models.deepseek_ocr_v1.convert import cached_native_folder, convert_from_v1, convert_to_v1
from ocr_space.models.deepseek_ocr_v1.layout import (
    DROPPED,
    CheckpointConversionError,
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


def published_v1_weights() -> dict[str, tuple[int, ...]]:
    """deepseek-ai/DeepSeek-OCR's tensors as published (names and shapes), written out from its weight listing."""
    weights = {"lm_head.weight": (129280, 1280), "model.embed_tokens.weight": (129280, 1280),
               "model.norm.weight": (1280,), "model.image_newline": (1280,), "model.view_seperator": (1280,),
               "model.projector.layers.weight": (1280, 2048), "model.projector.layers.bias": (1280,)}
    for n in range(12):
        layer = f"model.layers.{n}."
        weights[layer + "input_layernorm.weight"] = weights[layer + "post_attention_layernorm.weight"] = (1280,)
        for name in "qkvo":
            weights[layer + f"self_attn.{name}_proj.weight"] = (1280, 1280)
        mlps = [("mlp.", 6848)] if n == 0 else [("mlp.shared_experts.", 1792)] + [
            (f"mlp.experts.{e}.", 896) for e in range(64)]
        for prefix, width in mlps:
            weights[layer + prefix + "gate_proj.weight"] = weights[layer + prefix + "up_proj.weight"] = (width, 1280)
            weights[layer + prefix + "down_proj.weight"] = (1280, width)
        if n:
            weights[layer + "mlp.gate.weight"] = (64, 1280)
    sam = "model.sam_model."
    weights.update({sam + "patch_embed.proj.weight": (768, 3, 16, 16), sam + "patch_embed.proj.bias": (768,),
                    sam + "pos_embed": (1, 64, 64, 768), sam + "neck.0.weight": (256, 768, 1, 1),
                    sam + "neck.1.weight": (256,), sam + "neck.1.bias": (256,), sam + "neck.2.weight": (256, 256, 3, 3),
                    sam + "neck.3.weight": (256,), sam + "neck.3.bias": (256,), sam + "net_2.weight": (512, 256, 3, 3),
                    sam + "net_3.weight": (1024, 512, 3, 3)})
    for b in range(12):
        block = f"{sam}blocks.{b}."
        for name, shape in (("norm1", 768), ("norm2", 768), ("attn.qkv", 2304), ("attn.proj", 768),
                            ("mlp.lin1", 3072), ("mlp.lin2", 768)):
            weights[f"{block}{name}.bias"] = (shape,)
        weights.update({block + "norm1.weight": (768,), block + "norm2.weight": (768,),
                        block + "attn.qkv.weight": (2304, 768), block + "attn.proj.weight": (768, 768),
                        block + "mlp.lin1.weight": (3072, 768), block + "mlp.lin2.weight": (768, 3072)})
        window = 127 if b in (2, 5, 8, 11) else 27  # global layers span 64 patches, windowed ones 14
        weights[block + "attn.rel_pos_h"] = weights[block + "attn.rel_pos_w"] = (window, 64)
    clip = "model.vision_model."
    weights.update({clip + "embeddings.class_embedding": (1024,), PATCH_EMBEDDING: (1024, 3, 14, 14),
                    clip + "embeddings.position_embedding.weight": (257, 1024), clip + "pre_layrnorm.weight": (1024,),
                    clip + "pre_layrnorm.bias": (1024,)})
    for n in range(24):
        layer = f"{clip}transformer.layers.{n}."
        for name, rows, cols in (("self_attn.qkv_proj", 3072, 1024), ("self_attn.out_proj", 1024, 1024),
                                 ("mlp.fc1", 4096, 1024), ("mlp.fc2", 1024, 4096)):
            weights[f"{layer}{name}.weight"], weights[f"{layer}{name}.bias"] = (rows, cols), (rows,)
        for name in ("layer_norm1", "layer_norm2"):
            weights[f"{layer}{name}.weight"] = weights[f"{layer}{name}.bias"] = (1024,)
    return weights


#: The official config.json's size fields (deepseek-ai/DeepSeek-OCR).
PUBLISHED_V1_CONFIG = {
    "model_type": "deepseek_vl_v2", "architectures": ["DeepseekOCRForCausalLM"],
    "language_config": {"vocab_size": 129280, "hidden_size": 1280, "intermediate_size": 6848,
                        "num_hidden_layers": 12, "num_attention_heads": 10, "num_key_value_heads": 10,
                        "n_routed_experts": 64, "n_shared_experts": 2, "moe_intermediate_size": 896,
                        "num_experts_per_tok": 6, "first_k_dense_replace": 1, "max_position_embeddings": 8192,
                        "topk_method": "greedy", "n_group": 1, "topk_group": 1, "use_mla": False,
                        "bos_token_id": 0, "eos_token_id": 1},
    "vision_config": {"image_size": 1024, "width": {
        "clip-l-14-224": {"heads": 16, "image_size": 224, "layers": 24, "patch_size": 14, "width": 1024},
        "sam_vit_b": {"downsample_channels": [512, 1024], "global_attn_indexes": [2, 5, 8, 11], "heads": 12,
                      "layers": 12, "width": 768}}},
}


def test_every_published_v1_weight_maps_and_fills_the_full_size_native_model_exactly():
    """On the meta device: the real checkpoint's 2,710 tensors become exactly the native model's, shape for shape."""
    from ocr_space.models.deepseek_ocr_v1.convert import expected_native_shapes, native_config_from_v1

    published = published_v1_weights()
    assert len(published) == 2710  # as listed for the real checkpoint
    assert sum(torch.Size(shape).numel() for shape in published.values()) == 3_336_106_240
    config = native_config_from_v1(PUBLISHED_V1_CONFIG, image_token_id=128815)
    expected = expected_native_shapes(config)
    assert sum(torch.Size(shape).numel() for shape in expected.values()) == 3_335_504_128
    tensors = {key: torch.empty(shape, device="meta") for key, shape in published.items()}
    native = v1_to_native_state_dict(tensors, num_experts=64)
    assert {key: tuple(tensor.shape) for key, tensor in native.items()} == expected


def test_published_v1_config_converts_to_our_full_size_config():
    from ocr_space.models import get_family
    from ocr_space.models.deepseek_ocr_v1.convert import native_config_from_v1

    converted = native_config_from_v1(PUBLISHED_V1_CONFIG, image_token_id=128815).to_dict()
    ours = get_family("deepseek-ocr").full_config().to_dict()
    for part in ("text_config", "vision_config"):
        assert converted[part] == ours[part]
