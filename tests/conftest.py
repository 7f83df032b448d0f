"""Shared fixtures: an offline environment and one tiny model per test session."""

import os

# Before anything imports huggingface_hub/transformers/gradio: no network, no analytics.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from support.example_data import EXAMPLES, example_manifest  # noqa: E402

# The local Hub server and a finished tiny run, for every test folder that pushes or reads a run.
from support.hub_fixtures import hub, hub_server, run_dir  # noqa: E402, F401

# A tiny reader with a small vocabulary and a synthetic line dataset, for training runs.
from support.line_fixtures import reader_model_dir, small_dataset  # noqa: E402, F401


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A tiny DeepSeek-OCR-2 saved with save_pretrained: the folder users would point at."""
    from ocr_space.testing import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-ocr2"))


@pytest.fixture(scope="session")
def tiny_loaded(tiny_model_dir):
    from ocr_space.models import load_model

    return load_model(str(tiny_model_dir), device="cpu")


@pytest.fixture(scope="session")
def example_lines() -> list[Path]:
    return sorted((EXAMPLES / "lines").glob("*.png"))


@pytest.fixture(scope="session")
def live_app(tiny_model_dir, tmp_path_factory):
    """The real app.py on a free port, pre-filled with the tiny model."""
    from support.live_app import running_app

    log = tmp_path_factory.mktemp("app") / "app.log"
    with running_app({"OCR_SPACE_MODEL": str(tiny_model_dir)}, log) as url:
        yield url


@pytest.fixture(scope="session")
def client(live_app):
    """A gradio_client connected to the live app."""
    from gradio_client import Client

    return Client(live_app, verbose=False)


@pytest.fixture(scope="session")
def examples_dataset(tmp_path_factory) -> Path:
    """A dataset folder (the shared parquet contract) holding the example lines as its test split."""
    import datasets

    from ocr_space.data.splits import write_split

    rows = example_manifest()
    dataset = datasets.Dataset.from_dict({"image": [str(EXAMPLES / "lines" / name) for name, _ in rows],
                                          "text": [text for _, text in rows]}).cast_column("image", datasets.Image())
    folder = tmp_path_factory.mktemp("examples-dataset")
    write_split(dataset, folder, "test")
    return folder


@pytest.fixture(scope="session")
def tiny_v1_dir(tmp_path_factory) -> Path:
    """A tiny DeepSeek-OCR v1 (native Unlimited-OCR classes, full attention) saved with save_pretrained."""
    from ocr_space.testing import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-ocr-v1"), family="deepseek-ocr")
