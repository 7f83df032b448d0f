"""DeepSeek-OCR v1 folders <-> native Unlimited-OCR folders, and the cache ``load_model`` converts into.

A folder conversion translates config.json (official ``deepseek_vl_v2``
fields <-> ``UnlimitedOcrConfig`` with v1's full attention), renames and
reshapes the weights by the rules in :mod:`ocr_space.models.deepseek_ocr_v1.layout`, checks
every tensor against the shapes the native model expects (so a checkpoint we do
not understand never loads half-initialised), and adds what the other side
needs: the processor for native folders, the tokenizer for both. Outputs are
written to ``OUT.partial`` and renamed when complete.

>>> convert_from_v1("DeepSeek-OCR", "DeepSeek-OCR-native")  # doctest: +SKIP
>>> convert_to_v1("my-merged-model", "my-merged-model-v1")  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ocr_space.models.deepseek_ocr_v1.config import v1_config
from ocr_space.models.deepseek_ocr_v1.layout import (
    CheckpointConversionError,
    Plan,
    Step,
    apply_plan,
    plan_from_v1,
    plan_to_v1,
    preview,
)

log = logging.getLogger(__name__)

V1_ARCHITECTURE = "DeepseekOCRForCausalLM"
V1_MODEL_TYPE = "deepseek_vl_v2"
#: The processor token for images in every DeepSeek-OCR tokenizer.
IMAGE_TOKEN = "<image>"


# --- configs --------------------------------------------------------------------------------------------------------

def is_official_v1_config(config: Mapping) -> bool:
    """A config.json of the official v1 layout (remote code), by architecture or by its vision towers.

    >>> is_official_v1_config({"model_type": "deepseek_vl_v2", "architectures": ["DeepseekOCRForCausalLM"]})
    True
    """
    if V1_ARCHITECTURE in (config.get("architectures") or []):
        return True
    width = (config.get("vision_config") or {}).get("width") or {}
    return config.get("model_type") == V1_MODEL_TYPE and "sam_vit_b" in width and "clip-l-14-224" in width


#: language_config keys that carry over to the native text config unchanged.
_TEXT_KEYS = ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
              "num_key_value_heads", "n_routed_experts", "moe_intermediate_size", "n_shared_experts",
              "num_experts_per_tok", "max_position_embeddings", "bos_token_id", "eos_token_id", "topk_method",
              "n_group", "topk_group", "routed_scaling_factor", "rms_norm_eps")
#: v1's vision towers as the official code builds them (its config only names some of these).
_SAM_DEFAULTS = {"width": 768, "layers": 12, "heads": 12, "global_attn_indexes": [2, 5, 8, 11],
                 "downsample_channels": [512, 1024], "patch_size": 16, "window_size": 14, "mlp_dim": 3072,
                 "out_chans": 256}
_CLIP_DEFAULTS = {"width": 1024, "layers": 24, "heads": 16, "image_size": 224, "patch_size": 14,
                  "intermediate_size": 4096}


def native_config_from_v1(config: Mapping, image_token_id: int):
    """The native ``UnlimitedOcrConfig`` (v1: full attention) for an official v1 config.json."""
    language = config.get("language_config") or config
    unsupported = {"use_mla": bool(language.get("use_mla")), "norm_topk_prob": bool(language.get("norm_topk_prob")),
                   "scoring_func": language.get("scoring_func", "softmax") != "softmax",
                   "rope_scaling": bool(language.get("rope_scaling"))}
    if any(unsupported.values()):
        raise CheckpointConversionError(
            "This checkpoint's decoder differs from DeepSeek-OCR v1's (" +
            ", ".join(name for name, bad in unsupported.items() if bad) + "); it cannot be converted.")
    text = {key: language[key] for key in _TEXT_KEYS if language.get(key) is not None}
    dense = int(language.get("first_k_dense_replace", 1))
    layers = int(text.get("num_hidden_layers", 12))
    text["mlp_layer_types"] = ["dense"] * dense + ["sparse"] * (layers - dense)
    if language.get("rope_theta"):
        text["rope_parameters"] = {"rope_type": "default", "rope_theta": float(language["rope_theta"])}
    vision = config.get("vision_config") or {}
    width = vision.get("width") or {}
    sam = {**_SAM_DEFAULTS, **width.get("sam_vit_b", {})}
    clip = {**_CLIP_DEFAULTS, **width.get("clip-l-14-224", {})}
    return v1_config(
        text=text,
        sam={"hidden_size": sam["width"], "num_hidden_layers": sam["layers"], "num_attention_heads": sam["heads"],
             "global_attn_indexes": list(sam["global_attn_indexes"]),
             "downsample_channels": list(sam["downsample_channels"]), "patch_size": sam["patch_size"],
             "window_size": sam["window_size"], "mlp_dim": sam["mlp_dim"], "output_channels": sam["out_chans"],
             "image_size": int(vision.get("image_size", 1024))},
        encoder={"hidden_size": clip["width"], "num_hidden_layers": clip["layers"],
                 "num_attention_heads": clip["heads"], "image_size": clip["image_size"],
                 "patch_size": clip["patch_size"], "intermediate_size": clip["intermediate_size"]},
        image_token_id=image_token_id,
    )


def v1_config_from_native(native) -> dict:
    """An official-layout config.json for a native v1 ``UnlimitedOcrConfig`` (fields as in deepseek-ai/DeepSeek-OCR).

    Sizes the official code hard-codes are written only where they differ from
    v1's (tiny test models), so a full-size model gets the official fields.
    """
    text, sam, clip = native.text_config, native.vision_config.sam_config, native.vision_config.encoder_config
    if any(kind != "full_attention" for kind in text.layer_types):
        raise CheckpointConversionError(
            "This model uses Unlimited-OCR's sliding attention; writing it as DeepSeek-OCR v1 would change what it "
            "computes. Only v1 models (full attention on every layer) can be written in the v1 layout.")
    kinds = list(text.mlp_layer_types)
    dense = kinds.index("sparse") if "sparse" in kinds else len(kinds)
    if any(kind != "sparse" for kind in kinds[dense:]):
        raise CheckpointConversionError("v1's layout needs dense MLP layers first, then only MoE layers.")
    language = {
        "architectures": ["DeepseekV2ForCausalLM"],
        "bos_token_id": text.bos_token_id, "eos_token_id": text.eos_token_id,
        "first_k_dense_replace": dense, "hidden_size": text.hidden_size,
        "intermediate_size": text.intermediate_size, "kv_lora_rank": None, "lm_head": True,
        "max_position_embeddings": text.max_position_embeddings,
        "moe_intermediate_size": text.moe_intermediate_size, "n_group": text.n_group,
        "n_routed_experts": text.n_routed_experts, "n_shared_experts": text.n_shared_experts,
        "num_attention_heads": text.num_attention_heads, "num_experts_per_tok": text.num_experts_per_tok,
        "num_hidden_layers": text.num_hidden_layers, "num_key_value_heads": text.num_key_value_heads,
        "q_lora_rank": None, "qk_nope_head_dim": 0, "qk_rope_head_dim": 0, "rm_head": False,
        "topk_group": text.topk_group, "topk_method": text.topk_method, "use_mla": False, "v_head_dim": 0,
        "vocab_size": text.vocab_size,
    }
    theta = (text.rope_parameters or {}).get("rope_theta", 10000.0)
    if theta != 10000.0:
        language["rope_theta"] = theta
    sam_width = {"width": sam.hidden_size, "layers": sam.num_hidden_layers, "heads": sam.num_attention_heads,
                 "global_attn_indexes": list(sam.global_attn_indexes),
                 "downsample_channels": list(sam.downsample_channels), "patch_size": sam.patch_size,
                 "window_size": sam.window_size, "mlp_dim": sam.mlp_dim, "out_chans": sam.output_channels}
    clip_width = {"width": clip.hidden_size, "layers": clip.num_hidden_layers, "heads": clip.num_attention_heads,
                  "image_size": clip.image_size, "patch_size": clip.patch_size,
                  "intermediate_size": clip.intermediate_size}
    official_sam = ("width", "layers", "heads", "global_attn_indexes", "downsample_channels")
    official_clip = ("width", "layers", "heads", "image_size", "patch_size")
    return {
        "architectures": [V1_ARCHITECTURE],
        "auto_map": {"AutoConfig": "modeling_deepseekocr.DeepseekOCRConfig",
                     "AutoModel": "modeling_deepseekocr.DeepseekOCRForCausalLM"},
        "candidate_resolutions": [[1024, 1024]],
        "global_view_pos": "head",
        "language_config": language,
        "model_type": V1_MODEL_TYPE,
        "projector_config": {"input_dim": sam.downsample_channels[-1] + clip.hidden_size,
                             "model_type": "mlp_projector", "n_embed": text.hidden_size, "projector_type": "linear"},
        "tile_tag": "2D",
        "vision_config": {
            "image_size": sam.image_size, "mlp_ratio": 3.7362, "model_name": "deeplip_b_l", "model_type": "vision",
            "width": {
                "clip-l-14-224": {k: v for k, v in clip_width.items()
                                  if k in official_clip or v != _CLIP_DEFAULTS[k]},
                "sam_vit_b": {k: v for k, v in sam_width.items() if k in official_sam or v != _SAM_DEFAULTS[k]},
            },
        },
        **{k: v for k, v in language.items() if k not in ("architectures",)},
    }


# --- folders --------------------------------------------------------------------------------------------------------

@dataclass
class ConversionReport:
    """What a folder conversion did (printed by the CLI as JSON)."""

    source: str
    out: str
    direction: str
    tensors_read: int
    tensors_written: int
    dropped: list[str]

    def as_dict(self) -> dict:
        return dict(self.__dict__)


class _Checkpoint(contextlib.AbstractContextManager):
    """All ``*.safetensors`` files of a folder as one read-only mapping of key -> tensor."""

    def __init__(self, folder: Path):
        from safetensors import safe_open

        files = sorted(folder.glob("*.safetensors"))
        if not files:
            raise CheckpointConversionError(f"{folder} has no *.safetensors weights to convert.")
        self._stack = contextlib.ExitStack()
        self._where: dict[str, object] = {}
        for file in files:
            handle = self._stack.enter_context(safe_open(str(file), framework="pt"))
            for key in handle.keys():
                self._where[key] = handle

    def keys(self):
        return self._where.keys()

    def __getitem__(self, key: str):
        return self._where[key].get_tensor(key)

    def __exit__(self, *exc):
        self._stack.close()


class _ShardWriter:
    """Writes tensors into safetensors shards of at most ``max_bytes`` (plus an index when there are several)."""

    def __init__(self, folder: Path, max_bytes: int = 2 * 1024**3):
        self.folder, self.max_bytes = folder, max_bytes
        self.pending: dict[str, object] = {}
        self.pending_bytes = 0
        self.shards: list[dict[str, object]] = []
        self.written = 0

    def add(self, key: str, tensor) -> None:
        self.pending[key] = tensor.contiguous()
        self.pending_bytes += tensor.numel() * tensor.element_size()
        self.written += 1
        if self.pending_bytes >= self.max_bytes:
            self._flush()

    def _flush(self) -> None:
        from safetensors.torch import save_file

        if not self.pending:
            return
        name = f"model-{len(self.shards) + 1:05d}.safetensors"
        save_file(self.pending, str(self.folder / name), metadata={"format": "pt"})
        self.shards.append({"file": name, "keys": list(self.pending)})
        self.pending, self.pending_bytes = {}, 0

    def close(self) -> None:
        self._flush()
        if len(self.shards) == 1:
            (self.folder / self.shards[0]["file"]).rename(self.folder / "model.safetensors")
            return
        weight_map = {key: shard["file"] for shard in self.shards for key in shard["keys"]}
        (self.folder / "model.safetensors.index.json").write_text(
            json.dumps({"metadata": {}, "weight_map": weight_map}, indent=2), encoding="utf-8")


def _read_config(folder: Path) -> dict:
    path = folder / "config.json"
    if not path.is_file():
        raise CheckpointConversionError(f"{folder} has no config.json, so it is not a model folder.")
    return json.loads(path.read_text(encoding="utf-8"))


def _load_tokenizer(folder: Path):
    from transformers import AutoTokenizer

    try:
        # official folders name remote code in config.json; the tokenizer itself needs none, and without this
        # transformers would stop to ask on stdin whether to run it
        return AutoTokenizer.from_pretrained(str(folder), trust_remote_code=False)
    except (OSError, ValueError, KeyError) as exc:
        raise CheckpointConversionError(f"Could not load the tokenizer in {folder}: {exc}") from exc


def expected_native_shapes(config) -> dict[str, tuple[int, ...]]:
    """Parameter names and shapes of the native model for ``config``, built on the meta device (no memory)."""
    import torch
    from transformers import AutoModelForImageTextToText

    with torch.device("meta"):
        model = AutoModelForImageTextToText.from_config(config)
    return {key: tuple(value.shape) for key, value in model.state_dict().items()}


def _fresh_output(out: Path) -> Path:
    if out.exists() and any(out.iterdir()):
        raise CheckpointConversionError(f"{out} exists and is not empty; choose a new folder for the converted model.")
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    return partial


def _finish(partial: Path, out: Path) -> None:
    if out.exists():
        out.rmdir()  # empty, checked by _fresh_output
    os.replace(partial, out)


def convert_from_v1(src: str | Path, out: str | Path) -> ConversionReport:
    """Write an official v1 checkpoint folder as a native folder (weights, config, processor, tokenizer).

    >>> convert_from_v1("DeepSeek-OCR", "DeepSeek-OCR-native").tensors_written  # doctest: +SKIP
    715
    """
    from transformers import GenerationConfig

    from ocr_space.models.deepseek_ocr_v1.images import v1_processor

    src, out = Path(src), Path(out)
    config = _read_config(src)
    if not is_official_v1_config(config):
        raise CheckpointConversionError(
            f"{src} is not an official DeepSeek-OCR v1 checkpoint (config.json names model_type "
            f"{config.get('model_type')!r}, architectures {config.get('architectures')}).")
    tokenizer = _load_tokenizer(src)
    image_token_id = tokenizer.convert_tokens_to_ids(IMAGE_TOKEN)
    if image_token_id is None or image_token_id == tokenizer.unk_token_id:
        raise CheckpointConversionError(f"The tokenizer in {src} has no {IMAGE_TOKEN} token.")
    native = native_config_from_v1(config, image_token_id=image_token_id)
    expected = expected_native_shapes(native)
    partial = _fresh_output(out)
    try:
        with _Checkpoint(src) as checkpoint:
            plan = plan_from_v1(checkpoint.keys(), native.text_config.n_routed_experts)
            _check_targets(plan, expected)
            dtype = checkpoint[next(iter(checkpoint.keys()))].dtype
            writer = _ShardWriter(partial)
            for key, tensor in apply_plan(plan, checkpoint.__getitem__):
                if tuple(tensor.shape) != expected[key]:
                    raise CheckpointConversionError(
                        f"{key} (from {', '.join(plan.targets()[key][:2])}) has shape {tuple(tensor.shape)}, but "
                        f"config.json implies {expected[key]}.")
                writer.add(key, tensor)
            writer.close()
            native.dtype = str(dtype).removeprefix("torch.")
            tensors_read = len(checkpoint.keys())
        native.save_pretrained(partial)
        GenerationConfig(bos_token_id=native.text_config.bos_token_id, eos_token_id=native.text_config.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id).save_pretrained(partial)
        v1_processor(tokenizer, patch_size=native.vision_config.sam_config.patch_size).save_pretrained(partial)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    _finish(partial, out)
    return ConversionReport(source=str(src), out=str(out), direction="from-v1", tensors_read=tensors_read,
                            tensors_written=writer.written, dropped=plan.dropped)


def _check_targets(plan: Plan, expected: Mapping[str, tuple[int, ...]]) -> None:
    made = plan.targets()
    unexpected = sorted(source for target, sources in made.items() if target not in expected for source in sources)
    missing = sorted(set(expected) - set(made))
    if unexpected:
        raise CheckpointConversionError(
            f"{len(unexpected)} weight(s) do not fit the model config.json describes: {preview(unexpected)}.")
    if missing:
        raise CheckpointConversionError(
            f"The checkpoint lacks {len(missing)} weight(s) the model needs (native names): {preview(missing)}.")


class _NativeView(Mapping):
    """A native folder's weights under native names, whichever names the files use.

    transformers 5.x writes ``save_pretrained`` folders of this model under the
    original names (its conversion rules run backwards on save: experts
    unfused, CLIP's qkv fused), while our converter writes native names; both
    load with ``from_pretrained``, so both are accepted here.
    """

    def __init__(self, checkpoint: _Checkpoint, num_experts: int):
        self._checkpoint = checkpoint
        if any(key.startswith(("model.vision_tower.", "model.language_model.")) for key in checkpoint.keys()):
            self._plan = None
            self._keys = list(checkpoint.keys())
        else:
            self._plan = plan_from_v1(checkpoint.keys(), num_experts)
            self._steps = {target: step for step in self._plan.steps for target in step.targets}
            self._keys = list(self._steps)

    def __iter__(self):
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __getitem__(self, key: str):
        if self._plan is None:
            return self._checkpoint[key]
        step = self._steps[key]
        single = Plan(steps=[step])
        return dict(apply_plan(single, self._checkpoint.__getitem__))[key]


def convert_to_v1(src: str | Path, out: str | Path) -> ConversionReport:
    """Write a native v1 folder (e.g. a LoRA-merged model) in the official v1 layout, for vLLM or the official code.

    The folder gets the weights, an official-style config.json and the
    tokenizer; to run it with the official ``trust_remote_code`` files, copy
    those ``*.py`` files from deepseek-ai/DeepSeek-OCR next to them.

    >>> convert_to_v1("runs/merged", "runs/merged-v1")  # doctest: +SKIP
    """
    from transformers import AutoConfig

    src, out = Path(src), Path(out)
    config = _read_config(src)
    if config.get("model_type") != "unlimited_ocr":
        raise CheckpointConversionError(
            f"{src} is not a native DeepSeek-OCR v1 folder (model_type {config.get('model_type')!r}); "
            "give a folder written by `save_pretrained` or by `convert --from-v1`.")
    native = AutoConfig.from_pretrained(str(src))
    official_config = v1_config_from_native(native)
    num_experts = native.text_config.n_routed_experts
    encoder = native.vision_config.encoder_config
    patch_shape = (encoder.hidden_size, 3, encoder.patch_size, encoder.patch_size)
    partial = _fresh_output(out)
    try:
        with _Checkpoint(src) as checkpoint:
            weights = _NativeView(checkpoint, num_experts)
            _check_targets(Plan(steps=[Step("copy", (key,), (key,)) for key in weights]), expected_native_shapes(native))
            plan = plan_to_v1(weights, num_experts, patch_shape)
            dtype = checkpoint[next(iter(checkpoint.keys()))].dtype
            writer = _ShardWriter(partial)
            for key, tensor in apply_plan(plan, weights.__getitem__, dtype=dtype):
                writer.add(key, tensor)
            writer.close()
            tensors_read = len(checkpoint.keys())
        official_config["torch_dtype"] = str(dtype).removeprefix("torch.")
        (partial / "config.json").write_text(json.dumps(official_config, indent=2) + "\n", encoding="utf-8")
        _load_tokenizer(src).save_pretrained(str(partial))
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    _finish(partial, out)
    return ConversionReport(source=str(src), out=str(out), direction="to-v1", tensors_read=tensors_read,
                            tensors_written=writer.written, dropped=[])


# --- the cache that load_model uses ------------------------------------------------------------------------------

def _fingerprint(folder: Path) -> str:
    """Changes when the checkpoint's weights or config change (path, names, sizes, modification times)."""
    digest = hashlib.sha256(str(folder.resolve()).encode())
    for file in sorted(folder.glob("*.safetensors")) + [folder / "config.json"]:
        stat = file.stat()
        digest.update(f"{file.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:20]


def cached_native_folder(src: Path, cache_dir: Path | None = None) -> Path:
    """The native conversion of official v1 folder ``src``, made once and kept under the cache dir.

    >>> cached_native_folder(Path("DeepSeek-OCR"))  # doctest: +SKIP
    PosixPath('/root/.cache/ocr-space/deepseek-ocr-v1-native/3f1c...')
    """
    from ocr_space.config import cache_root

    base = (cache_dir or cache_root()) / "deepseek-ocr-v1-native"
    target = base / _fingerprint(src)
    if (target / "config.json").is_file():
        return target
    base.mkdir(parents=True, exist_ok=True)
    log.info("converting DeepSeek-OCR v1 checkpoint %s to the native layout in %s (once)", src, target)
    staging = base / f".{target.name}.{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    convert_from_v1(src, staging)
    try:
        os.replace(staging, target)
    except OSError:  # another process finished first; theirs is as good as ours
        shutil.rmtree(staging, ignore_errors=True)
    return target
