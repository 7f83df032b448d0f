"""Fixtures for training runs (tests/train, the Fine-tune tab): a small-vocabulary tiny model, a line dataset."""

import random

import pytest

from support.synthetic_lines import CHARACTERS, random_lines, write_line_dataset


@pytest.fixture(scope="session")
def reader_model_dir(tmp_path_factory):
    """A tiny DeepSeek-OCR-2 whose vocabulary is ASCII + CHARACTERS (same architecture, small output layer)."""
    from ocr_space.testing import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("reader"), characters=CHARACTERS)


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory):
    """40 train and 6 test lines of 1-3 characters: enough for runner mechanics, not for learning."""
    rng = random.Random(7)
    train = random_lines(CHARACTERS, 40, (1, 3), rng)
    test = random_lines(CHARACTERS, 6, (1, 3), rng, exclude=set(train))
    return write_line_dataset(tmp_path_factory.mktemp("lines"), train, test)
