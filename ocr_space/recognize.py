"""Read text from images with a loaded model: greedy, capped, guarded against loops.

Both single images and batches go through :func:`recognize_batch`, which
pads prompts on the left and runs one ``generate`` per batch, so evaluation
and the UI share one code path (and one set of bugs to fix).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Sequence

import torch
from transformers import LogitsProcessorList

from ocr_space.errors import ConfigError, ImageError
from ocr_space.fast_generate import decode_settings
from ocr_space.images import ImageInput, load_image
from ocr_space.models.family import FREE_OCR_PROMPT
from ocr_space.models.loading import LoadedModel
from ocr_space.repetition import WindowedNGramGuard

#: Prompt presets from the model authors (the prompts of DeepSeek-OCR's and DeepSeek-OCR-2's model cards and
#: official inference code, the same for both); "ocr" is what fine-tuning uses.
PROMPTS: dict[str, str] = {
    "ocr": FREE_OCR_PROMPT,
    "markdown": "<image>\n<|grounding|>Convert the document to markdown.",
    "grounding": "<image>\n<|grounding|>OCR this image.",
    "figure": "<image>\nParse the figure.",
}


@dataclass
class Recognition:
    """One image's result. ``seconds`` is this image's share of its batch's wall time."""

    text: str
    seconds: float
    new_tokens: int

    def as_dict(self) -> dict:
        return asdict(self)


def resolve_prompt(prompt: str | None) -> str:
    """A preset name or a literal prompt; a literal prompt must contain ``<image>``."""
    prompt = prompt or "ocr"
    if prompt in PROMPTS:
        return PROMPTS[prompt]
    if "<image>" not in prompt:
        raise ConfigError(f"prompt must be one of {', '.join(PROMPTS)} or contain '<image>'; got {prompt!r}.")
    return prompt


def recognize(loaded: LoadedModel, image: ImageInput, prompt: str | None = "ocr", max_new_tokens: int = 512,
              mode: str | None = None, ngram_guard: int = 30) -> Recognition:
    """OCR one image (path, bytes, PIL or array).

    >>> from ocr_space import load_model, recognize
    >>> loaded = load_model("/tmp/tiny")  # doctest: +SKIP
    >>> recognize(loaded, "examples/lines/line_000.png").text  # doctest: +SKIP
    """
    return recognize_batch(loaded, [image], prompt=prompt, max_new_tokens=max_new_tokens, mode=mode,
                           ngram_guard=ngram_guard)[0]


def recognize_batch(loaded: LoadedModel, images: Sequence[ImageInput], prompt: str | None = "ocr",
                    max_new_tokens: int = 512, mode: str | None = None, batch_size: int = 8,
                    ngram_guard: int = 30) -> list[Recognition]:
    """OCR many images, ``batch_size`` at a time; results keep the input order.

    ``ngram_guard`` = 0 turns the repetition guard off; ``mode`` is one of the
    family's resolution modes (default: the family's).
    """
    if max_new_tokens < 1:
        raise ConfigError("max_new_tokens must be at least 1.")
    if batch_size < 1:
        raise ConfigError("batch_size must be at least 1.")
    text_prompt = resolve_prompt(prompt)
    processor_kwargs = loaded.family.mode(mode).processor_kwargs(loaded.processor)
    pil_images = [load_image(image) for image in images]
    results: list[Recognition] = []
    for start in range(0, len(pil_images), batch_size):
        results.extend(_generate(loaded, pil_images[start:start + batch_size], text_prompt, max_new_tokens,
                                 processor_kwargs, ngram_guard))
    return results


@torch.inference_mode()
def _generate(loaded: LoadedModel, images, text_prompt: str, max_new_tokens: int, processor_kwargs: dict,
              ngram_guard: int) -> list[Recognition]:
    tokenizer = loaded.tokenizer
    started = time.perf_counter()
    tokenizer.padding_side = "left"  # generation appends on the right; pads must not sit between prompt and output
    try:
        inputs = loaded.processor(images=images, text=[text_prompt] * len(images), return_tensors="pt",
                                  padding=True, **processor_kwargs)
    except (ValueError, OSError) as exc:
        raise ImageError(f"The processor could not prepare the image(s): {exc}") from exc
    inputs = inputs.to(loaded.device)
    if "pixel_values" in inputs:
        inputs["pixel_values"] = inputs["pixel_values"].to(loaded.dtype)
    if "pixel_values_local" in inputs:
        inputs["pixel_values_local"] = inputs["pixel_values_local"].to(loaded.dtype)
    prompt_length = inputs["input_ids"].shape[1]
    logits_processor = LogitsProcessorList()
    if ngram_guard:
        logits_processor.append(WindowedNGramGuard(prompt_length, ngram_size=ngram_guard))
    # a generated image placeholder would have no image features behind it; never emit one
    image_token_id = getattr(loaded.processor, "image_token_id", None)
    output = loaded.model.generate(
        **inputs,
        suppress_tokens=[image_token_id] if image_token_id is not None else None,
        max_new_tokens=max_new_tokens,
        do_sample=False,
        num_beams=1,
        logits_processor=logits_processor,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        # static KV cache + compiled decode step where it pays (CUDA, one image); else nothing extra
        **decode_settings(loaded.model, loaded.device, len(images)).kwargs,
    )
    elapsed = time.perf_counter() - started
    generated = output[:, prompt_length:]
    results = []
    for row in generated.tolist():
        new_tokens = _count_until_eos(row, tokenizer.eos_token_id, tokenizer.pad_token_id)
        text = tokenizer.decode(row[:new_tokens], skip_special_tokens=True).strip()
        results.append(Recognition(text=text, seconds=elapsed / len(images), new_tokens=new_tokens))
    return results


def _count_until_eos(tokens: list[int], eos_id: int | None, pad_id: int | None) -> int:
    """Generated tokens up to and including EOS; the padding after a finished row does not count."""
    for index, token in enumerate(tokens):
        if token == eos_id:
            return index + 1
    count = len(tokens)
    while count and tokens[count - 1] == pad_id and pad_id != eos_id:
        count -= 1
    return count
