"""Shared pieces of the benchmarks: environment record, full-size models with random weights, synthetic data,
and the FLOP count of one training sample.

The real checkpoints cannot be downloaded here, so the benches build the
published architecture from its config and initialise it directly on the
GPU; speed and memory depend on shapes, not on weight values.
"""

from __future__ import annotations

import json
import platform
import random
from dataclasses import dataclass
from pathlib import Path

import torch

DATA_DIR = Path(__file__).resolve().parent.parent / ".bench_data"

#: Chinese text for synthetic lines: common characters, digits and punctuation.
LINE_CHARS = ("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可也你对生能而子那得于着下自之年过"
              "发后作里用道行所然家种事成方多经么去法学如都同现当没动面起看定天分还进好小部其些主样理心她本前开但因只从想实"
              "0123456789，。、：；？！（）《》")


def environment() -> dict:
    """What produced a number: card, versions, Python."""
    import transformers

    info = {"python": platform.python_version(), "torch": torch.__version__, "transformers": transformers.__version__}
    for name in ("peft", "trl", "bitsandbytes", "unsloth"):
        try:
            module = __import__(name)
            info[name] = getattr(module, "__version__", "?")
        except Exception as exc:  # noqa: BLE001 - record why an optional package is absent
            info[name] = f"unavailable ({type(exc).__name__}: {str(exc)[:80]})"
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        info.update(gpu=props.name, gpu_memory_gib=round(props.total_memory / 2**30, 1),
                    capability=".".join(map(str, torch.cuda.get_device_capability(0))))
    else:
        info["gpu"] = None
    return info


def full_size_model(family_name: str, device: str, dtype: torch.dtype, experts_implementation: str | None = None,
                    attn_implementation: str = "sdpa"):
    """(model, processor) of the published architecture, random weights created on ``device``.

    The tokenizer is ocr-space's character-level test tokenizer; the config's
    special ids are pointed at it (vocabulary size stays the published 129,280).
    """
    from transformers import AutoModelForImageTextToText

    from ocr_space.models.registry import get_family
    from ocr_space.testing import IMAGE, build_tiny_tokenizer

    family = get_family(family_name)
    tokenizer = build_tiny_tokenizer()
    config = family.full_config()
    config.image_token_id = tokenizer.convert_tokens_to_ids(IMAGE)
    for sub in (config.text_config,):
        sub.bos_token_id, sub.eos_token_id, sub.pad_token_id = (tokenizer.bos_token_id, tokenizer.eos_token_id,
                                                                tokenizer.pad_token_id)
    kwargs = {"attn_implementation": attn_implementation}
    if experts_implementation:
        kwargs["experts_implementation"] = experts_implementation
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            model = AutoModelForImageTextToText.from_config(config, **kwargs)
    finally:
        torch.set_default_dtype(previous)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    return model, full_size_processor(family_name, tokenizer)


def full_size_processor(family_name: str, tokenizer):
    """The family's processor at published sizes (torchvision backend when torchvision imports)."""
    if family_name != "deepseek-ocr-2":
        raise ValueError(f"no full-size processor recipe for {family_name}")
    from transformers import DeepseekOcr2Processor

    try:
        import torchvision  # noqa: F401
        from transformers.models.deepseek_ocr2 import DeepseekOcr2ImageProcessor as ImageProcessor
    except ImportError:
        from transformers.models.deepseek_ocr2 import DeepseekOcr2ImageProcessorPil as ImageProcessor
    image_processor = ImageProcessor(image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5])
    return DeepseekOcr2Processor(image_processor=image_processor, tokenizer=tokenizer, patch_size=16,
                                 downsample_ratio=4)


@dataclass
class Sample:
    image: object
    text: str


def synthetic_samples(shape: str, n: int, seed: int = 0) -> list[dict]:
    """``n`` rows ``{"image", "text"}``: ``lines`` (about 40x600 px) or ``pages`` (1000x1400 px).

    Pre-rendered files in .bench_data/ are used when present (the GPU machine
    has no CJK fonts); otherwise they are rendered here with Debian's fonts.
    """
    from PIL import Image

    folder = DATA_DIR / shape
    index = folder / "index.jsonl"
    if index.is_file():
        rows = [json.loads(line) for line in index.read_text(encoding="utf-8").splitlines()]
        rows = (rows * (n // len(rows) + 1))[:n]
        return [{"image": Image.open(folder / row["file"]).convert("RGB"), "text": row["text"]} for row in rows]
    return [{"image": image, "text": text} for image, text in _render(shape, n, seed)]


def _render(shape: str, n: int, seed: int):
    from PIL import Image, ImageDraw, ImageFont

    from ocr_space.data.fonts import require_cjk_fonts
    from ocr_space.data.synth import render_line

    fonts = require_cjk_fonts()
    rng = random.Random(seed)
    for i in range(n):
        if shape == "lines":
            text = "".join(rng.choice(LINE_CHARS) for _ in range(rng.randint(12, 20)))
            line = render_line(text, fonts[i % len(fonts)], font_size=28, padding=6)
            yield line.resize((600, 40)), text
        elif shape == "pages":
            page = Image.new("RGB", (1000, 1400), "white")
            draw = ImageDraw.Draw(page)
            font = ImageFont.truetype(str(fonts[i % len(fonts)]), 30)
            lines = ["".join(rng.choice(LINE_CHARS) for _ in range(30)) for _ in range(36)]
            for row, line in enumerate(lines):
                draw.text((20, 20 + row * 38), line, font=font, fill="black")
            yield page, "\n".join(lines)
        else:
            raise ValueError(f"unknown shape {shape!r}")


def write_bench_data(n_lines: int = 256, n_pages: int = 16) -> None:
    """Pre-render the synthetic sets into .bench_data/ (carried to the GPU machine)."""
    for shape, n in (("lines", n_lines), ("pages", n_pages)):
        folder = DATA_DIR / shape
        folder.mkdir(parents=True, exist_ok=True)
        rows = []
        for i, (image, text) in enumerate(_render(shape, n, seed=0)):
            name = f"{i:04d}.png"
            image.save(folder / name, optimize=True)
            rows.append(json.dumps({"file": name, "text": text}, ensure_ascii=False))
        (folder / "index.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")


# ---------------------------------------------------------------- FLOPs

def linear_flops(tokens: int, n_in: int, n_out: int) -> int:
    return 2 * tokens * n_in * n_out


def deepseek_ocr2_forward_flops(config, global_views: int, tiles: int, text_tokens: int,
                                global_side: int = 1024) -> dict:
    """Matmul FLOPs of one sample's forward pass, by component (attention scores included).

    ``global_views`` = 1 per image at ``global_side`` px (1024: 256 queries, 768: 144);
    ``tiles`` = local 768-px crops; ``text_tokens``
    = prompt + answer tokens besides the image tokens. The lm_head is counted on
    all positions (what a plain forward with labels computes).
    """
    sam = config.vision_config.sam_config
    enc = config.vision_config.encoder_config
    text = config.text_config

    def sam_flops(side: int) -> int:
        patches = (side // sam.patch_size) ** 2
        d = sam.hidden_size
        per_layer = linear_flops(patches, d, 3 * d) + linear_flops(patches, d, d) + \
            linear_flops(patches, d, sam.mlp_dim) + linear_flops(patches, sam.mlp_dim, d)
        total = 0
        for layer in range(sam.num_hidden_layers):
            window = patches if layer in sam.global_attn_indexes else sam.window_size ** 2
            total += per_layer + 4 * patches * window * d
        return total  # neck convs are small and left out

    def encoder_flops(sam_tokens: int, queries: int) -> int:
        tokens = sam_tokens + queries
        d, kv = enc.hidden_size, enc.num_key_value_heads * (enc.hidden_size // enc.num_attention_heads)
        per_layer = linear_flops(tokens, d, d) * 2 + linear_flops(tokens, d, kv) * 2 + \
            3 * linear_flops(tokens, d, enc.intermediate_size) + 4 * tokens * tokens * d
        return enc.num_hidden_layers * per_layer

    global_queries = 256 if global_side > 768 else 144
    global_patches = (global_side // 16 // 4) ** 2
    vision = sam_flops(global_side) * global_views + sam_flops(768) * tiles
    encoder = encoder_flops(global_patches, global_queries) * global_views + encoder_flops(144, 144) * tiles
    image_tokens = (global_queries + 1) * global_views + 144 * tiles
    projector = linear_flops(image_tokens, enc.hidden_size, text.hidden_size)
    tokens = image_tokens + text_tokens
    d = text.hidden_size
    attention = 4 * linear_flops(tokens, d, d) + 4 * tokens * tokens * d // 2  # causal: half the score matrix
    dense_mlp = 3 * linear_flops(tokens, d, text.intermediate_size)
    moe_mlp = 3 * linear_flops(tokens, d, text.moe_intermediate_size) * (text.num_experts_per_tok +
                                                                         text.n_shared_experts) + \
        linear_flops(tokens, d, text.n_routed_experts)
    n_dense = sum(1 for kind in text.mlp_layer_types if kind == "dense")
    decoder = text.num_hidden_layers * attention + n_dense * dense_mlp + (text.num_hidden_layers - n_dense) * moe_mlp
    lm_head = linear_flops(tokens, d, text.vocab_size)
    return {"sam": vision, "encoder": encoder, "projector": projector, "decoder": decoder, "lm_head": lm_head,
            "tokens": tokens, "image_tokens": image_tokens}


def training_flops_per_sample(parts: dict) -> float:
    """Model FLOPs of one training sample, by the usual convention: 3x forward (forward + two backward matmuls)
    for everything that gradients flow through; SAM sits before every trainable parameter, so forward only."""
    through = parts["encoder"] + parts["projector"] + parts["decoder"] + parts["lm_head"]
    return parts["sam"] + 3 * through


def measure_matmul_tflops(dtype: torch.dtype = torch.bfloat16, n: int = 8192, repeats: int = 10) -> float:
    """The card's dense matmul rate as measured here (the MFU denominator)."""
    a = torch.randn(n, n, device="cuda", dtype=dtype)
    b = torch.randn(n, n, device="cuda", dtype=dtype)
    for _ in range(3):
        a @ b
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(repeats):
        a @ b
    end.record()
    torch.cuda.synchronize()
    return 2 * n ** 3 * repeats / (start.elapsed_time(end) / 1000) / 1e12
