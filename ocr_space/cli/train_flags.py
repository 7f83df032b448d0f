"""`train`'s command-line flags, one per :class:`TrainConfig` field, and the command that reproduces a config.

Every field maps to ``--field-name`` (booleans also to ``--no-field-name``,
lists as comma-separated text), with the field's ``metadata["help"]`` as its
help, so a new setting needs no CLI code. The Fine-tune tab shows
:func:`equivalent_command` so a run started in the browser can be repeated in a
terminal or a notebook.
"""

from __future__ import annotations

import argparse
import shlex
from dataclasses import fields

from ocr_space.train.recipe import TrainConfig

#: what to train and where: first on the command line
PATH_FIELDS = ("model", "data", "out")


def cli_flag(name: str) -> str:
    """The CLI flag of a config field: ``grad_accum`` -> ``--grad-accum``."""
    return "--" + name.replace("_", "-")


def flag_help(name: str) -> str:
    """A field's help with its default, as ``--help`` shows it.

    >>> flag_help("steps")
    'optimizer steps to train (default: 60)'
    """
    item = next(item for item in fields(TrainConfig) if item.name == name)
    default = getattr(TrainConfig(), name)
    text = item.metadata["help"]
    if isinstance(default, list):
        text += f" (default: {','.join(default) or 'none'})"
    elif default != "":  # an empty default (model, data, out) is explained by the help itself
        text += f" (default: {default})"
    return text.replace("%", "%%")  # argparse formats help with %


def add_train_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per TrainConfig field; each defaults to None so only the flags given override a preset or file."""
    defaults = TrainConfig()
    for item in fields(TrainConfig):
        default = getattr(defaults, item.name)
        if isinstance(default, bool):
            parser.add_argument(cli_flag(item.name), action=argparse.BooleanOptionalAction, default=None,
                                help=flag_help(item.name))
        elif isinstance(default, list):
            parser.add_argument(cli_flag(item.name), type=comma_list, default=None,
                                help="comma-separated " + flag_help(item.name))
        else:
            parser.add_argument(cli_flag(item.name), type=type(default), default=None, help=flag_help(item.name))


def comma_list(text: str) -> list[str]:
    """``"lm_head, x"`` -> ``["lm_head", "x"]``."""
    return [part.strip() for part in text.split(",") if part.strip()]


def flags_given(args: argparse.Namespace) -> dict:
    """The TrainConfig fields set on the command line (None = not given; an empty model, data or out too)."""
    given = {item.name: getattr(args, item.name) for item in fields(TrainConfig)
             if getattr(args, item.name, None) is not None}
    return {name: value for name, value in given.items() if value or name not in PATH_FIELDS}


def equivalent_command(config: TrainConfig, processes: int = 1) -> str:
    """The ``python -m ocr_space train`` command line for ``config`` (only what differs from the defaults).

    With ``processes`` > 1, the ``accelerate launch`` line that trains on that many GPUs.

    >>> equivalent_command(TrainConfig(model="m", data="d", steps=100))
    'python -m ocr_space train --model m --data d --steps 100'
    >>> equivalent_command(TrainConfig(model="m", data="d"), processes=4)
    'accelerate launch --multi_gpu --num_processes 4 -m ocr_space train --model m --data d'
    """
    defaults = TrainConfig()
    launcher = (["accelerate", "launch", "--multi_gpu", "--num_processes", str(processes)] if processes > 1
                else ["python"])
    parts = [*launcher, "-m", "ocr_space", "train"]
    for name in PATH_FIELDS:
        if getattr(config, name):
            parts += [cli_flag(name), str(getattr(config, name))]
    for item in fields(TrainConfig):
        value = getattr(config, item.name)
        if item.name in PATH_FIELDS or value == getattr(defaults, item.name):
            continue
        if isinstance(value, bool):
            parts.append(cli_flag(item.name) if value else "--no-" + item.name.replace("_", "-"))
        elif isinstance(value, list):
            parts += [cli_flag(item.name), ",".join(value)]
        else:
            parts += [cli_flag(item.name), str(value)]
    return " ".join(shlex.quote(part) for part in parts)
