"""Read one page token by token, so a user sees the text grow and can stop a long page.

A full page on a T4 takes tens of seconds; without feedback it looks hung.
:func:`recognize_stream` runs the same greedy, guarded ``generate`` call as
:func:`ocr_space.recognize.recognize_batch` (built by
:func:`~ocr_space.recognize.generation_request`, the fast decode included) on
one long-lived generation thread and
yields the decoded text after every new token. Setting ``stop`` ends the
generation at the next token; the last update then carries what was read.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import torch
from transformers import StoppingCriteria, StoppingCriteriaList
from transformers.generation.streamers import BaseStreamer

from ocr_space.documents import Page
from ocr_space.graphed_decode import streaming_kwargs
from ocr_space.grounding import parse_grounded
from ocr_space.images import ImageInput
from ocr_space.models.loading import LoadedModel
from ocr_space.recognize import (
    Recognition,
    decode_output,
    generation_request,
    read_pages,
    reading_mode,
    recognitions,
    resolve_prompt,
)

#: how long the reader waits for the next token before checking that the worker is still alive
_POLL_SECONDS = 0.5
#: every streamed generation runs on this one thread: one model sits on the GPU at a time, so pages wait their
#: turn here (the graphed decode's sessions serialize on their own lock as well).
_GENERATION_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ocr-space-stream")


@dataclass
class StreamUpdate:
    """The page so far: ``raw`` with markup, ``text`` clean; ``result`` is set on the last update only."""

    raw: str
    text: str
    new_tokens: int
    done: bool = False
    stopped: bool = False
    result: Recognition | None = None


def recognize_stream(loaded: LoadedModel, image: ImageInput | Page, prompt: str | None = "ocr",
                     max_new_tokens: int = 512, mode: str | None = None, ngram_guard: int = 30,
                     stop: threading.Event | None = None) -> Iterator[StreamUpdate]:
    """Yield the growing text of one image (or one :class:`Page` of a PDF), then a final update with the result.

    >>> for update in recognize_stream(loaded, "page.png", prompt="markdown"):  # doctest: +SKIP
    ...     print(update.text)
    """
    if max_new_tokens < 1:
        from ocr_space.errors import ConfigError

        raise ConfigError("max_new_tokens must be at least 1.")
    mode_name = reading_mode(loaded, mode)
    if isinstance(image, Page):
        page = image
    else:
        pages = read_pages(loaded, image, mode_name)
        if len(pages) != 1:
            from ocr_space.errors import ImageError

            raise ImageError(f"Streaming reads one page; this input has {len(pages)}. Pass one Page of it.")
        page = pages[0]
    stop = stop or threading.Event()
    processor_kwargs = loaded.family.mode(mode_name).processor_kwargs(loaded.processor)
    started = time.perf_counter()
    inputs, generate_kwargs = generation_request(loaded, [page.image], resolve_prompt(prompt), max_new_tokens,
                                                 processor_kwargs, ngram_guard)
    streamer = _TokenQueue()
    outcome: dict = {}

    def work() -> None:
        try:
            with torch.inference_mode():
                outcome["output"] = loaded.model.generate(**inputs, **generate_kwargs,
                                                          **streaming_kwargs(generate_kwargs, streamer),
                                                          stopping_criteria=StoppingCriteriaList([_StopOn(stop)]))
        except BaseException as exc:  # noqa: BLE001 - handed to the reading thread, which raises it
            outcome["error"] = exc
        finally:
            streamer.end()

    worker = _GENERATION_THREAD.submit(work)
    tokens: list[int] = []
    width, height = page.image.size
    finished = False
    try:
        for new_tokens in streamer.batches(worker):
            tokens.extend(new_tokens)
            raw = decode_output(loaded.tokenizer, tokens)
            yield StreamUpdate(raw=raw, text=parse_grounded(raw, width, height).text, new_tokens=len(tokens))
        finished = True
    finally:
        if not finished:  # the reader left early (closed the iterator): free the generation thread
            stop.set()
    worker.result()
    if "error" in outcome:
        raise outcome["error"]
    prompt_length = inputs["input_ids"].shape[1]
    (result,) = recognitions(loaded, [page.image], outcome["output"][:, prompt_length:].tolist(),
                             time.perf_counter() - started)
    result.mode, result.source, result.page = mode_name, page.source, page.page
    yield StreamUpdate(raw=result.raw, text=result.text, new_tokens=result.new_tokens, done=True,
                       stopped=stop.is_set(), result=result)


class _TokenQueue(BaseStreamer):
    """``generate``'s streamer: the first ``put`` is the prompt (skipped), then one tensor of new ids per step."""

    _END = object()

    def __init__(self):
        self._queue: queue.Queue = queue.Queue()
        self._prompt_seen = False

    def put(self, value) -> None:
        if not self._prompt_seen:
            self._prompt_seen = True
            return
        self._queue.put(value.reshape(-1).tolist())

    def end(self) -> None:
        self._queue.put(self._END)

    def batches(self, worker: Future) -> Iterator[list[int]]:
        while True:
            try:
                item = self._queue.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                if worker.done():
                    return
                continue
            if item is self._END:
                return
            yield item


class _StopOn(StoppingCriteria):
    """Stops every row once ``event`` is set (the UI's stop button)."""

    def __init__(self, event: threading.Event):
        self.event = event

    def __call__(self, input_ids, scores, **kwargs) -> torch.BoolTensor:
        return torch.full((input_ids.shape[0],), self.event.is_set(), dtype=torch.bool, device=input_ids.device)
