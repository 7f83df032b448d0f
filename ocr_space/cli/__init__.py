"""`python -m ocr_space`: every capability of the app, scriptable.

Each command group lives in its own module with a ``register(subparsers)``
function; user mistakes (:class:`OcrSpaceError`) end with a one-line message
and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Callable, Sequence

from ocr_space.errors import OcrSpaceError


def _command_modules():
    from ocr_space.cli import models_cmd, recognize_cmd
    from ocr_space.cli import convert_cmd, dataset_cmd, eval_cmd, push_cmd, train_cmd

    return [recognize_cmd, models_cmd, dataset_cmd, train_cmd, eval_cmd, push_cmd, convert_cmd]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ocr_space",
                                     description="Fine-tune and evaluate DeepSeek-OCR models on your documents.")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module in _command_modules():
        module.register(subparsers)
    return parser


def print_json(payload) -> None:
    """One JSON object per line, UTF-8 kept readable (Chinese stays Chinese)."""
    print(json.dumps(payload, ensure_ascii=False), flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int | None] = args.handler
    try:
        return int(handler(args) or 0)
    except OcrSpaceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        from ocr_space.distributed import shutdown

        shutdown()  # under torchrun / accelerate launch: leave the process group cleanly
