"""Which official DeepSeek-OCR v1 weight becomes which native Unlimited-OCR weight, and back.

Official v1 weights (``deepseek-ai/DeepSeek-OCR``, ``unsloth/DeepSeek-OCR``) are
named for the remote code: ``model.sam_model.*``, ``model.vision_model.*``
(CLIP, with fused ``qkv_proj``), ``model.projector.layers.*``,
``model.image_newline``, ``model.view_seperator`` (sic), ``model.embed_tokens``,
``model.layers.*`` with one Linear per routed expert
(``mlp.experts.N.{gate,up,down}_proj``), ``model.norm``, ``lm_head``.
transformers' native classes nest them under ``model.vision_tower``,
``model.multi_modal_projector`` and ``model.language_model``, split CLIP's qkv,
and keep each MoE layer's routed experts as two fused tensors:
``experts.gate_up_proj`` [experts, 2 x moe, hidden] (each expert's gate rows,
then its up rows) and ``experts.down_proj`` [experts, hidden, moe].

Every official key is mapped by exactly one rule below or listed in
:data:`DROPPED` (only CLIP's patch embedding, which v1 never uses); any other
key is an error that names it. A :class:`Plan` lists the steps (copy, split,
fuse, ...) from source to target names; :func:`apply_plan` runs them one at a
time, so a 6.7 GB checkpoint is never held in memory twice.

transformers' own ``conversion_mapping`` has rules for ``unlimited_ocr`` that
read this layout too (and ``save_pretrained`` writes it), but they only warn
about keys they leave over; the tests check that both agree tensor for tensor.

>>> plan_from_v1(["model.view_seperator"], num_experts=64).targets()
{'model.view_separator': ('model.view_seperator',)}
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from ocr_space.errors import ModelLoadError


class CheckpointConversionError(ModelLoadError):
    """A checkpoint that does not have DeepSeek-OCR v1's layout (or a native model that cannot be written as one)."""


# --- key rules --------------------------------------------------------------------------------------------------
# Templates: {n} layer/block number, {e} expert number, {x} the rest of the name (may contain dots).

_SAM = "model.vision_tower.sam_encoder"
_CLIP = "model.vision_tower.vision_encoder"
_DECODER = "model.language_model"

#: (official template, native template), first match wins.
RENAMES: tuple[tuple[str, str], ...] = (
    ("model.sam_model.patch_embed.proj.{x}", _SAM + ".patch_embed.projection.{x}"),
    ("model.sam_model.pos_embed", _SAM + ".pos_embed"),
    ("model.sam_model.blocks.{n}.norm1.{x}", _SAM + ".layers.{n}.layer_norm1.{x}"),
    ("model.sam_model.blocks.{n}.norm2.{x}", _SAM + ".layers.{n}.layer_norm2.{x}"),
    ("model.sam_model.blocks.{n}.attn.{x}", _SAM + ".layers.{n}.attn.{x}"),
    ("model.sam_model.blocks.{n}.mlp.{x}", _SAM + ".layers.{n}.mlp.{x}"),
    ("model.sam_model.neck.0.{x}", _SAM + ".neck.conv1.{x}"),
    ("model.sam_model.neck.1.{x}", _SAM + ".neck.layer_norm1.{x}"),
    ("model.sam_model.neck.2.{x}", _SAM + ".neck.conv2.{x}"),
    ("model.sam_model.neck.3.{x}", _SAM + ".neck.layer_norm2.{x}"),
    ("model.sam_model.net_2.{x}", _SAM + ".proj.conv1.{x}"),
    ("model.sam_model.net_3.{x}", _SAM + ".proj.conv2.{x}"),
    ("model.vision_model.embeddings.class_embedding", _CLIP + ".embeddings.class_embedding"),
    ("model.vision_model.embeddings.position_embedding.{x}", _CLIP + ".embeddings.position_embedding.{x}"),
    ("model.vision_model.pre_layrnorm.{x}", _CLIP + ".pre_layrnorm.{x}"),
    ("model.vision_model.transformer.layers.{n}.{x}", _CLIP + ".encoder.layers.{n}.{x}"),
    ("model.projector.layers.{x}", "model.multi_modal_projector.{x}"),
    ("model.image_newline", "model.image_newline"),
    ("model.view_seperator", "model.view_separator"),
    ("model.embed_tokens.{x}", _DECODER + ".embed_tokens.{x}"),
    ("model.norm.{x}", _DECODER + ".norm.{x}"),
    ("model.layers.{n}.{x}", _DECODER + ".layers.{n}.{x}"),
    ("lm_head.{x}", "lm_head.{x}"),
)
#: CLIP's fused attention input projection <-> separate q, k, v (stacked along the output dimension).
QKV = ("model.vision_model.transformer.layers.{n}.self_attn.qkv_proj.{x}",
       tuple(_CLIP + ".encoder.layers.{n}.self_attn." + name + ".{x}" for name in ("q_proj", "k_proj", "v_proj")))
#: One Linear per routed expert <-> the fused expert tensors.
EXPERT = "model.layers.{n}.mlp.experts.{e}.{x}"
FUSED_GATE_UP = _DECODER + ".layers.{n}.mlp.experts.gate_up_proj"
FUSED_DOWN = _DECODER + ".layers.{n}.mlp.experts.down_proj"
#: Official keys we leave out on purpose, with the reason.
DROPPED = {
    "model.vision_model.embeddings.patch_embedding.weight":
        "CLIP's patch embedding: v1 feeds SAM's features to CLIP instead, so it is never used",
}

_PLACEHOLDERS = {"n": r"(?P<n>\d+)", "e": r"(?P<e>\d+)", "x": r"(?P<x>[\w.]+)"}


def _pattern(template: str) -> re.Pattern:
    escaped = re.escape(template)
    for name, regex in _PLACEHOLDERS.items():
        escaped = escaped.replace(re.escape("{" + name + "}"), regex)
    return re.compile(escaped + "$")


_RENAMES_FORWARD = [(_pattern(official), native) for official, native in RENAMES]
_RENAMES_BACKWARD = [(_pattern(native), official) for official, native in RENAMES]
_QKV_OFFICIAL, _Q_NATIVE = _pattern(QKV[0]), _pattern(QKV[1][0])
_EXPERT_OFFICIAL = _pattern(EXPERT)
_GATE_UP_NATIVE, _DOWN_NATIVE = _pattern(FUSED_GATE_UP), _pattern(FUSED_DOWN)


# --- plans: which source tensors make which target tensors ---------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """``targets = OPERATIONS[op](*sources)``; ``shape`` only for tensors made from nothing."""

    op: str
    sources: tuple[str, ...]
    targets: tuple[str, ...]
    shape: tuple[int, ...] | None = None


@dataclass
class Plan:
    steps: list[Step] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)

    def targets(self) -> dict[str, tuple[str, ...]]:
        """Each target key -> the source keys it is made from."""
        return {target: step.sources for step in self.steps for target in step.targets}


def _rename(key: str, rules) -> str | None:
    for pattern, template in rules:
        match = pattern.match(key)
        if match:
            return template.format(**match.groupdict())
    return None


def plan_from_v1(keys: Iterable[str], num_experts: int) -> Plan:
    """How to build native tensors from official v1 keys; raises naming any key no rule covers.

    >>> plan_from_v1(["model.view_seperator"], num_experts=64).targets()
    {'model.view_separator': ('model.view_seperator',)}
    """
    plan, unknown = Plan(), []
    experts: dict[str, dict[str, dict[int, str]]] = {}
    for key in sorted(keys):
        if key in DROPPED:
            plan.dropped.append(key)
        elif match := _EXPERT_OFFICIAL.match(key):
            projection = match["x"].removesuffix(".weight")
            if projection not in ("gate_proj", "up_proj", "down_proj") or not match["x"].endswith(".weight"):
                unknown.append(key)
                continue
            experts.setdefault(match["n"], {}).setdefault(projection, {})[int(match["e"])] = key
        elif match := _QKV_OFFICIAL.match(key):
            plan.steps.append(Step("chunk3", (key,), tuple(t.format(**match.groupdict()) for t in QKV[1])))
        elif (native := _rename(key, _RENAMES_FORWARD)) is not None:
            plan.steps.append(Step("copy", (key,), (native,)))
        else:
            unknown.append(key)
    if unknown:
        raise CheckpointConversionError(
            f"{len(unknown)} weight(s) are not part of DeepSeek-OCR v1's layout: {preview(unknown)}. "
            "Is this really a DeepSeek-OCR v1 checkpoint?")
    missing = []
    for layer, projections in sorted(experts.items(), key=lambda item: int(item[0])):
        names = {}
        for projection in ("gate_proj", "up_proj", "down_proj"):
            found = projections.get(projection, {})
            missing += [EXPERT.format(n=layer, e=e, x=projection + ".weight") for e in range(num_experts) if e not in found]
            missing += [found[e] for e in found if e >= num_experts]
            names[projection] = tuple(found.get(e, "") for e in range(num_experts))
        plan.steps.append(Step("fuse_gate_up", names["gate_proj"] + names["up_proj"], (FUSED_GATE_UP.format(n=layer),)))
        plan.steps.append(Step("stack", names["down_proj"], (FUSED_DOWN.format(n=layer),)))
    if missing:
        raise CheckpointConversionError(
            f"Routed experts do not match the config's n_routed_experts={num_experts}: missing or extra "
            f"{preview(missing)}.")
    return plan


def plan_to_v1(keys: Iterable[str], num_experts: int, patch_embedding_shape: tuple[int, ...]) -> Plan:
    """How to write native tensors under official v1 names (the inverse of :func:`plan_from_v1`).

    CLIP's unused patch embedding is written as zeros of ``patch_embedding_shape``
    so loaders that expect every official parameter find it.
    """
    plan, unknown, qkv_groups = Plan(), [], {}
    for key in sorted(keys):
        if match := _GATE_UP_NATIVE.match(key):
            gates = tuple(EXPERT.format(n=match["n"], e=e, x="gate_proj.weight") for e in range(num_experts))
            ups = tuple(EXPERT.format(n=match["n"], e=e, x="up_proj.weight") for e in range(num_experts))
            plan.steps.append(Step("split_gate_up", (key,), gates + ups))
        elif match := _DOWN_NATIVE.match(key):
            downs = tuple(EXPERT.format(n=match["n"], e=e, x="down_proj.weight") for e in range(num_experts))
            plan.steps.append(Step("unstack", (key,), downs))
        elif any(f".self_attn.{name}." in key for name in ("q_proj", "k_proj", "v_proj")) and key.startswith(_CLIP):
            qkv_groups.setdefault(re.sub(r"\.(q|k|v)_proj\.", ".q_proj.", key), []).append(key)
        elif (official := _rename(key, _RENAMES_BACKWARD)) is not None:
            plan.steps.append(Step("copy", (key,), (official,)))
        else:
            unknown.append(key)
    for q_key, group in sorted(qkv_groups.items()):
        match = _Q_NATIVE.match(q_key)
        parts = tuple(t.format(**match.groupdict()) for t in QKV[1]) if match else ()
        if not match or sorted(group) != sorted(parts):
            unknown += group
            continue
        plan.steps.append(Step("cat", parts, (QKV[0].format(**match.groupdict()),)))
    if unknown:
        raise CheckpointConversionError(
            f"{len(unknown)} weight(s) have no place in DeepSeek-OCR v1's layout: {preview(unknown)}.")
    for key in DROPPED:
        plan.steps.append(Step("zeros", (), (key,), shape=tuple(patch_embedding_shape)))
    return plan


def preview(keys: list[str], limit: int = 8) -> str:
    """The first few keys for an error message, and how many more there are."""
    shown = ", ".join(keys[:limit])
    return shown + (f" and {len(keys) - limit} more" if len(keys) > limit else "")


def _operations() -> dict[str, Callable]:
    import torch

    def fuse_gate_up(*tensors):
        half = len(tensors) // 2
        return [torch.stack([torch.cat([gate, up], dim=0) for gate, up in zip(tensors[:half], tensors[half:], strict=True)])]

    def split_gate_up(fused):
        rows = fused.shape[1] // 2
        return [fused[e, :rows].clone() for e in range(fused.shape[0])] + [
            fused[e, rows:].clone() for e in range(fused.shape[0])]

    def chunk3(tensor):
        if tensor.shape[0] % 3:
            raise CheckpointConversionError(f"A qkv projection has {tensor.shape[0]} rows, not a multiple of 3.")
        return [part.clone() for part in torch.chunk(tensor, 3, dim=0)]

    return {
        "copy": lambda tensor: [tensor],
        "chunk3": chunk3,
        "cat": lambda *tensors: [torch.cat(tensors, dim=0)],
        "fuse_gate_up": fuse_gate_up,
        "split_gate_up": split_gate_up,
        "stack": lambda *tensors: [torch.stack(tensors)],
        "unstack": lambda fused: [fused[e].clone() for e in range(fused.shape[0])],
    }


def apply_plan(plan: Plan, get: Callable[[str], object], dtype=None):
    """Yield ``(target key, tensor)`` one step at a time (so whole checkpoints never sit in memory twice)."""
    import torch

    operations = _operations()
    for step in plan.steps:
        if step.op == "zeros":
            outputs = [torch.zeros(step.shape, dtype=dtype or torch.float32)]
        else:
            outputs = operations[step.op](*(get(source) for source in step.sources))
        yield from zip(step.targets, outputs, strict=True)


def v1_to_native_state_dict(tensors: Mapping[str, object], num_experts: int) -> dict:
    """In-memory conversion, official v1 names -> native names (for tests and small models)."""
    return dict(apply_plan(plan_from_v1(tensors, num_experts), tensors.__getitem__))


def native_to_v1_state_dict(tensors: Mapping[str, object], num_experts: int,
                            patch_embedding_shape: tuple[int, ...]) -> dict:
    """In-memory conversion, native names -> official v1 names."""
    dtype = next(iter(tensors.values())).dtype if tensors else None
    plan = plan_to_v1(tensors, num_experts, patch_embedding_shape)
    return dict(apply_plan(plan, tensors.__getitem__, dtype=dtype))


