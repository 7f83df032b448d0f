"""Vision tokens per resolution mode at full size, for a text line and an A4 page (CPU, no weights needed).

The token count is what a mode costs: attention and the decoder's prefill grow
with it, in training and in reading. The real processors (full-size settings)
count them; only the tokenizer is the tiny one, which does not change the
image tokens.

    python bench/mode_tokens.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image  # noqa: E402

from ocr_space.models.registry import families  # noqa: E402
from ocr_space.testing import IMAGE, build_tiny_tokenizer  # noqa: E402

#: a rendered text line (the shape of examples/lines) and an A4 page at 144 dpi
SHAPES = {"line 600x60": (600, 60), "A4 page 1191x1684": (1191, 1684)}


def full_size_processor(family_name: str, tokenizer):
    if family_name == "deepseek-ocr-2":
        from transformers import DeepseekOcr2Processor
        from transformers.models.deepseek_ocr2 import DeepseekOcr2ImageProcessorPil

        return DeepseekOcr2Processor(image_processor=DeepseekOcr2ImageProcessorPil(image_mean=[0.5] * 3,
                                                                                    image_std=[0.5] * 3),
                                     tokenizer=tokenizer, patch_size=16, downsample_ratio=4)
    from ocr_space.models.deepseek_ocr_v1.images import register_pil_backend, v1_processor

    register_pil_backend()
    return v1_processor(tokenizer, patch_size=16)


def main() -> None:
    tokenizer = build_tiny_tokenizer()
    image_id = tokenizer.convert_tokens_to_ids(IMAGE)
    print("| family | mode | " + " | ".join(SHAPES) + " |")
    print("| --- | --- | " + " | ".join("---" for _ in SHAPES) + " |")
    for family in families().values():
        processor = full_size_processor(family.name, tokenizer)
        for name, mode in family.resolution_modes.items():
            counts = []
            for size in SHAPES.values():
                inputs = processor(images=[Image.new("RGB", size, "white")], text=["<image>\nFree OCR."],
                                   return_tensors="pt", **mode.processor_kwargs(processor))
                counts.append(int((inputs["input_ids"] == image_id).sum()))
            marks = [m for m, value in (("default", family.default_mode), ("training", family.training_mode))
                     if value == name]
            label = f"{name} ({', '.join(marks)})" if marks else name
            print(f"| {family.title} | {label} | " + " | ".join(str(count) for count in counts) + " |")


if __name__ == "__main__":
    main()
