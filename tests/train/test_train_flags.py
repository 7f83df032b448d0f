"""`train`'s flags: one per TrainConfig field, each with the field's own help text."""

import dataclasses

from ocr_space.cli import build_parser
from ocr_space.cli.train_flags import cli_flag, equivalent_command
from ocr_space.train.recipe import TrainConfig


def train_parser():
    parser = build_parser()
    subparsers = next(action for action in parser._actions if action.dest == "command")
    return subparsers.choices["train"]


def test_every_setting_has_help_in_its_field_metadata():
    for item in dataclasses.fields(TrainConfig):
        assert len(item.metadata.get("help", "")) > 5, item.name


def test_each_flag_shows_its_fields_help_and_default():
    flags = {action.option_strings[0]: action.help for action in train_parser()._actions if action.option_strings}
    for item in dataclasses.fields(TrainConfig):
        assert item.metadata["help"] in flags[cli_flag(item.name)].replace("%%", "%"), item.name
    assert flags["--steps"] == "optimizer steps to train (default: 60)"


def test_the_equivalent_command_names_only_what_differs_from_the_defaults():
    config = TrainConfig(model="/m", data="/d", lora_experts=False, lora_dropout=0.1)
    assert equivalent_command(config) == ("python -m ocr_space train --model /m --data /d --lora-dropout 0.1 "
                                          "--no-lora-experts")
