"""Turn exceptions from the core into messages in the browser, never tracebacks."""

from __future__ import annotations

import functools
import inspect
import logging

import gradio as gr

from ocr_space.errors import OcrSpaceError
from ocr_space.out_of_memory import is_out_of_memory
from ocr_space.ui.strings import t

log = logging.getLogger(__name__)


def user_message(exc: BaseException) -> str:
    """The text to show for ``exc``: our own errors verbatim, CUDA OOM with its fix, anything else generic."""
    if isinstance(exc, OcrSpaceError):
        return str(exc)
    if is_out_of_memory(exc):
        return t("error.out_of_memory")
    return t("error.unexpected", kind=type(exc).__name__)


def shows_errors(handler):
    """Decorator for Gradio handlers: log the traceback server-side, raise ``gr.Error`` with a clean message."""

    if inspect.isgeneratorfunction(handler):  # a streaming handler: errors surface while Gradio iterates it
        @functools.wraps(handler)
        def streaming_wrapper(*args, **kwargs):
            try:
                yield from handler(*args, **kwargs)
            except gr.Error:
                raise
            except Exception as exc:  # noqa: BLE001 - the boundary where every failure becomes a message
                raise _as_message(handler, exc) from exc

        return streaming_wrapper

    @functools.wraps(handler)
    def wrapper(*args, **kwargs):
        try:
            return handler(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as exc:  # noqa: BLE001 - the boundary where every failure becomes a message
            raise _as_message(handler, exc) from exc

    return wrapper


def _as_message(handler, exc: Exception) -> gr.Error:
    """``exc`` logged with its traceback, and worded for the user as a ``gr.Error``."""
    log.exception("handler %s failed", handler.__name__)
    return gr.Error(user_message(exc), print_exception=False)
