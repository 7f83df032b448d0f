"""`python -m ocr_space`: every capability of the app, scriptable.

Each command group lives in its own module with a ``register(subparsers)``
function, imported only when one of its commands runs (:data:`COMMANDS`);
user mistakes (:class:`OcrSpaceError`) end with a one-line message and exit
code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Sequence

from ocr_space.errors import OcrSpaceError

#: Command -> the module that registers it. ``main`` imports only the module of the command it runs, so
#: ``python -m ocr_space dataset ...`` never loads what training or recognition need (torch, transformers).
#: A new command module must be listed here; a new command of a listed module works unlisted too (an unknown
#: first word builds the full parser), and tests/architecture checks that the table names every command.
COMMANDS: dict[str, str] = {
    "recognize": "ocr_space.cli.recognize_cmd",
    "tiny-model": "ocr_space.cli.models_cmd",
    "params": "ocr_space.cli.models_cmd",
    "dataset": "ocr_space.cli.dataset_cmd",
    "train": "ocr_space.cli.train_cmd",
    "merge": "ocr_space.cli.train_cmd",
    "eval": "ocr_space.cli.eval_cmd",
    "compare": "ocr_space.cli.eval_cmd",
    "push": "ocr_space.cli.push_cmd",
    "convert": "ocr_space.cli.convert_cmd",
}


#: commands that run a model: each says first when the machine's GPU is one the installed torch cannot use
MODEL_COMMANDS = ("recognize", "train", "merge", "eval", "compare")


def _command_modules(command: str | None = None) -> list:
    names = [COMMANDS[command]] if command in COMMANDS else list(dict.fromkeys(COMMANDS.values()))
    return [importlib.import_module(name) for name in names]


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser for every command, or only for ``command`` (and its siblings in the same module).

    >>> build_parser("dataset").parse_args(["dataset", "fonts"]).command
    'dataset'
    """
    parser = argparse.ArgumentParser(prog="python -m ocr_space",
                                     description="Fine-tune and evaluate DeepSeek-OCR models on your documents.")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module in _command_modules(command):
        module.register(subparsers)
    return parser


def print_json(payload) -> None:
    """One JSON object per line, UTF-8 kept readable (Chinese stays Chinese)."""
    print(json.dumps(payload, ensure_ascii=False), flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv[0] if argv else None)
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int | None] = args.handler
    if args.command in MODEL_COMMANDS:
        from ocr_space.models.gpu_check import gpu_warning

        if gpu_warning():
            print(f"warning: {gpu_warning()}", file=sys.stderr)
    try:
        return int(handler(args) or 0)
    except OcrSpaceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        from ocr_space.distributed import shutdown

        shutdown()  # under torchrun / accelerate launch: leave the process group cleanly
