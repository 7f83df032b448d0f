"""A Hub dataset is read only as far as it is used: the train rows asked for and the test rows measured.

The Hub is unreachable here, so ``datasets.load_dataset`` is replaced by one that records which split slices
were asked for and answers with small in-memory splits of the same shape."""

import datasets
import pytest
from PIL import Image

from ocr_space.evaluation.runner import EvalSamples
from ocr_space.train.data_source import open_training_data


@pytest.fixture
def asked(monkeypatch):
    """The split strings load_dataset was called with; the repo has train and validation, no test."""
    calls = []

    def load_dataset(repo_id, split, **kwargs):
        calls.append(split)
        if split.split("[")[0] not in ("train", "validation"):
            raise ValueError(f"Unknown split {split!r}. Should be one of ['train', 'validation'].")
        images = [Image.new("RGB", (32, 16), "white")] * 3
        return datasets.Dataset.from_dict({"image": images, "text": ["一", "二", "三"], "extra": [1, 2, 3]})

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    return calls


def test_training_reads_only_the_capped_train_rows_and_the_measured_test_rows(asked):
    data = open_training_data("someone/lines", max_train_samples=1000, eval_samples=50)
    assert asked == ["train[:1000]", "test[:50]"]
    assert data.train.column_names == ["image", "text"] and data.test is None  # no test split: no before/after


def test_a_source_split_names_exactly_what_to_train_on(asked):
    open_training_data("someone/lines", source_split="validation[:20%]", eval_samples=0)
    assert asked == ["validation[:20%]"]


def test_compare_reads_only_the_first_rows_of_a_hub_split(asked):
    samples = EvalSamples.from_split("someone/lines", "validation", limit=2)
    assert asked == ["validation[:2]"] and len(samples) == 2 and samples.texts == ["一", "二"]
