"""Read text from images and PDFs with a loaded model: greedy, capped, guarded against loops.

Both single images and batches go through :func:`recognize_batch`, which
pads prompts on the left and runs one ``generate`` per batch, so evaluation
and the UI share one code path (and one set of bugs to fix). A PDF is read
page by page (:mod:`ocr_space.documents`); every page is one
:class:`Recognition`. The output is decoded with the grounding tags kept and
parsed (:mod:`ocr_space.grounding`) into clean text, labelled regions and
markdown.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from transformers import LogitsProcessorList

from ocr_space.documents import Page, load_pages
from ocr_space.errors import ConfigError, ImageError
from ocr_space.fast_generate import decode_settings
from ocr_space.grounding import GROUNDING_TAGS, GroundedOutput, Region, crop_figures, parse_grounded
from ocr_space.images import ImageInput
from ocr_space.models.family import FREE_OCR_PROMPT
from ocr_space.models.loading import LoadedModel
from ocr_space.models.mode_sizes import mode_sizes
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
    """One image's (or one PDF page's) result. ``seconds`` is its share of its batch's wall time.

    ``raw`` is the decoded output with grounding tags; ``text`` is it without
    markup; ``regions`` are the labelled boxes, in pixels of ``image`` (the
    image as read: the file, or the rendered PDF page); ``markdown`` replaces
    figure regions by links to :attr:`figures` (see :meth:`render_markdown`).
    """

    text: str
    seconds: float
    new_tokens: int
    raw: str = ""
    regions: list[Region] = field(default_factory=list)
    mode: str | None = None
    source: str | None = None
    #: 1-based page of a PDF; None for an image
    page: int | None = None
    image: Any = field(default=None, repr=False)

    @classmethod
    def from_output(cls, raw: str, image, seconds: float, new_tokens: int) -> Recognition:
        """Parse a decoded output of ``image`` (a PIL image) into text and regions."""
        grounded = parse_grounded(raw, *image.size)
        return cls(text=grounded.text, seconds=seconds, new_tokens=new_tokens, raw=raw,
                   regions=list(grounded.regions), image=image)

    @property
    def grounded(self) -> GroundedOutput:
        width, height = self.image.size if self.image is not None else (1, 1)
        return parse_grounded(self.raw or self.text, width, height)

    def figure_name(self, index: int) -> str:
        """File name of figure ``index`` (0-based): unique within a document, so pages can share a folder."""
        return (f"page-{self.page}-" if self.page else "") + f"figure-{index + 1}.png"

    def render_markdown(self, figure_link: Callable[[str], str] = lambda name: f"figures/{name}") -> str:
        """The markdown with each figure linked as ``figure_link(figure_name(n))``."""
        return self.grounded.markdown(lambda index: figure_link(self.figure_name(index)))

    @property
    def markdown(self) -> str:
        """The output as markdown, figures linked as ``figures/<figure_name>`` (the text where nothing is grounded)."""
        return self.render_markdown()

    @property
    def figures(self) -> dict[str, Any]:
        """Figure file name -> PIL crop of the image, for the links in :attr:`markdown`."""
        if self.image is None:
            return {}
        return {self.figure_name(index): crop for index, crop in enumerate(crop_figures(self.image, self.grounded))}

    def as_dict(self) -> dict:
        """JSON-ready: text, timing, page, mode, regions (pixel boxes) and markdown; no pixels."""
        return {"page": self.page, "text": self.text, "seconds": self.seconds, "new_tokens": self.new_tokens,
                "mode": self.mode, "regions": [region.as_dict() for region in self.regions],
                "markdown": self.markdown, "raw": self.raw}


def resolve_prompt(prompt: str | None) -> str:
    """A preset name or a literal prompt; a literal prompt must contain ``<image>``."""
    prompt = prompt or "ocr"
    if prompt in PROMPTS:
        return PROMPTS[prompt]
    if "<image>" not in prompt:
        raise ConfigError(f"prompt must be one of {', '.join(PROMPTS)} or contain '<image>'; got {prompt!r}.")
    return prompt


def reading_mode(loaded: LoadedModel, mode: str | None = None) -> str:
    """The resolution mode a read uses: the one asked for, else the adapter's training mode, else the family default.

    >>> reading_mode(load_model(base, adapter="runs/r1/adapter"))  # doctest: +SKIP
    'small'
    """
    name = mode or loaded.adapter_mode or loaded.family.default_mode
    loaded.family.mode(name)  # an unknown mode is a clear error here
    return name


def recognize(loaded: LoadedModel, image: ImageInput, prompt: str | None = "ocr", max_new_tokens: int = 512,
              mode: str | None = None, ngram_guard: int = 30) -> Recognition:
    """OCR one image (path, bytes, PIL or array); for a PDF use :func:`recognize_batch` (one result per page).

    >>> from ocr_space import load_model, recognize
    >>> loaded = load_model("/tmp/tiny")  # doctest: +SKIP
    >>> recognize(loaded, "examples/lines/line_000.png").text  # doctest: +SKIP
    """
    results = recognize_batch(loaded, [image], prompt=prompt, max_new_tokens=max_new_tokens, mode=mode,
                              ngram_guard=ngram_guard)
    if len(results) != 1:
        raise ImageError(f"recognize reads one image; this input has {len(results)} pages, use recognize_batch.")
    return results[0]


def page_side(loaded: LoadedModel, mode: str | None = None) -> int:
    """The longer side, in pixels, a PDF page is rendered at for ``mode`` (what that mode's views look at)."""
    name = reading_mode(loaded, mode)
    return mode_sizes(loaded.processor, loaded.family.mode(name).processor_kwargs(loaded.processor)).page_side


def read_pages(loaded: LoadedModel, source: ImageInput, mode: str | None = None,
               pages: str | None = None) -> list[Page]:
    """The pages of one input as the model will read them: an image as is, a PDF rendered for ``mode``."""
    return load_pages(source, page_side(loaded, mode), pages=pages)


def recognize_batch(loaded: LoadedModel, images: Sequence[ImageInput], prompt: str | None = "ocr",
                    max_new_tokens: int = 512, mode: str | None = None, batch_size: int = 8,
                    ngram_guard: int = 30, pages: str | None = None, pages_in_job: int = 0) -> list[Recognition]:
    """OCR many images and PDFs, ``batch_size`` pages at a time; results keep the input order.

    An image gives one result (``page`` None); a PDF gives one per page read
    (``page`` 1-based), limited to ``pages`` (e.g. ``"1-3,5"``) and to the
    owner's page cap. ``ngram_guard`` = 0 turns the repetition guard off;
    ``mode`` is one of the family's resolution modes (default: the adapter's
    training mode, else the family's default). ``pages_in_job``: the whole
    job's size when a caller feeds it in parts (evaluation reads batch by
    batch), so that long jobs take the compiled decode for full batches.

    >>> [(r.source, r.page) for r in recognize_batch(loaded, ["scan.png", "report.pdf"])]  # doctest: +SKIP
    [('scan.png', None), ('report.pdf', 1), ('report.pdf', 2)]
    """
    _check_limits(max_new_tokens, batch_size)
    mode_name = reading_mode(loaded, mode)
    all_pages = [page for image in images for page in read_pages(loaded, image, mode_name, pages)]
    return recognize_pages(loaded, all_pages, prompt=prompt, max_new_tokens=max_new_tokens, mode=mode_name,
                           batch_size=batch_size, ngram_guard=ngram_guard, pages_in_job=pages_in_job)


def recognize_pages(loaded: LoadedModel, pages: Sequence[Page], prompt: str | None = "ocr",
                    max_new_tokens: int = 512, mode: str | None = None, batch_size: int = 8,
                    ngram_guard: int = 30, pages_in_job: int = 0) -> list[Recognition]:
    """OCR pages already loaded (:func:`read_pages`), ``batch_size`` at a time; each result names its source and page.

    Callers that must report each file on its own (the CLI, the UI) load pages file by file and read them here.
    """
    _check_limits(max_new_tokens, batch_size)
    text_prompt = resolve_prompt(prompt)
    mode_name = reading_mode(loaded, mode)
    processor_kwargs = loaded.family.mode(mode_name).processor_kwargs(loaded.processor)
    results: list[Recognition] = []
    for start in range(0, len(pages), batch_size):
        batch = pages[start:start + batch_size]
        # a full batch of a long job may take the compiled decode (ocr_space.fast_generate)
        job = max(len(pages), pages_in_job) if len(batch) == batch_size else 0
        for page, result in zip(batch, _generate(loaded, [page.image for page in batch], text_prompt,
                                                 max_new_tokens, processor_kwargs, ngram_guard, job),
                                strict=True):
            result.mode, result.source, result.page = mode_name, page.source, page.page
            results.append(result)
    return results


def _check_limits(max_new_tokens: int, batch_size: int) -> None:
    if max_new_tokens < 1:
        raise ConfigError("max_new_tokens must be at least 1.")
    if batch_size < 1:
        raise ConfigError("batch_size must be at least 1.")


@torch.inference_mode()
def _generate(loaded: LoadedModel, images, text_prompt: str, max_new_tokens: int, processor_kwargs: dict,
              ngram_guard: int, pages_in_job: int = 0) -> list[Recognition]:
    started = time.perf_counter()
    inputs, generate_kwargs = generation_request(loaded, images, text_prompt, max_new_tokens, processor_kwargs,
                                                 ngram_guard, pages_in_job)
    output = loaded.model.generate(**inputs, **generate_kwargs)
    prompt_length = inputs["input_ids"].shape[1]
    return recognitions(loaded, images, output[:, prompt_length:].tolist(), time.perf_counter() - started)


def generation_request(loaded: LoadedModel, images, text_prompt: str, max_new_tokens: int, processor_kwargs: dict,
                       ngram_guard: int, pages_in_job: int = 0) -> tuple[Any, dict]:
    """The processed inputs (on the model's device) and ``generate`` settings of one batch: greedy, capped, guarded.

    Batched reading and streaming (:mod:`ocr_space.streaming`) both build their call here. ``pages_in_job``: the
    whole job's pages when this batch is a full one (see :func:`ocr_space.fast_generate.decode_settings`).
    """
    tokenizer = loaded.tokenizer
    tokenizer.padding_side = "left"  # generation appends on the right; pads must not sit between prompt and output
    try:
        inputs = loaded.processor(images=images, text=[text_prompt] * len(images), return_tensors="pt",
                                  padding=True, **processor_kwargs, **processor_device_kwargs(loaded))
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
    return inputs, {
        "suppress_tokens": [image_token_id] if image_token_id is not None else None,
        "max_new_tokens": max_new_tokens,
        "do_sample": False,
        "num_beams": 1,
        "logits_processor": logits_processor,
        "pad_token_id": tokenizer.pad_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        # static KV cache + compiled decode step where it pays (CUDA: one image, or full batches of a long job)
        **decode_settings(loaded.model, loaded.device, len(images), pages_in_job).kwargs,
    }


def processor_device_kwargs(loaded: LoadedModel) -> dict:
    """``{"device": ...}`` where the image processor can resize and normalise on the model's GPU, else nothing.

    transformers' torchvision image processors take a ``device``; on the H200 that cut preparing 32 text
    lines from 0.148 s on the host to 0.024 s (bench/RESULTS.md, 2026-12-02 session 4), a fifth of a batch's
    whole generation time. The PIL processors (no torchvision installed) and CPU runs stay as they are.
    """
    if not str(loaded.device).startswith("cuda"):
        return {}
    from transformers.image_processing_backends import TorchvisionBackend

    image_processor = getattr(loaded.processor, "image_processor", None)
    return {"device": loaded.device} if isinstance(image_processor, TorchvisionBackend) else {}


def recognitions(loaded: LoadedModel, images, generated: list[list[int]], elapsed: float) -> list[Recognition]:
    """One :class:`Recognition` per image from its generated ids (EOS and padding cut off); time shared evenly."""
    tokenizer = loaded.tokenizer
    results = []
    for image, row in zip(images, generated, strict=True):
        new_tokens = _count_until_eos(row, tokenizer.eos_token_id, tokenizer.pad_token_id)
        raw = decode_output(tokenizer, row[:new_tokens])
        results.append(Recognition.from_output(raw, image, seconds=elapsed / len(images), new_tokens=new_tokens))
    return results


def decode_output(tokenizer, token_ids: Sequence[int]) -> str:
    """Generated ids as text with the grounding tags kept and every other special token (EOS, pads) dropped.

    ``skip_special_tokens=True`` would drop ``<|ref|>``/``<|det|>`` too, and with them every box.
    """
    dropped = _dropped_ids(tokenizer)
    return tokenizer.decode([token for token in token_ids if token not in dropped], skip_special_tokens=False).strip()


def _dropped_ids(tokenizer) -> set[int]:
    kept = {tokenizer.convert_tokens_to_ids(tag) for tag in GROUNDING_TAGS}
    kept = {token for token in kept if token is not None and tokenizer.convert_ids_to_tokens(token) in GROUNDING_TAGS}
    return set(tokenizer.all_special_ids) - kept


def _count_until_eos(tokens: list[int], eos_id: int | None, pad_id: int | None) -> int:
    """Generated tokens up to and including EOS; the padding after a finished row does not count."""
    for index, token in enumerate(tokens):
        if token == eos_id:
            return index + 1
    count = len(tokens)
    while count and tokens[count - 1] == pad_id and pad_id != eos_id:
        count -= 1
    return count
