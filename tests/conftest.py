"""Shared fixtures: an offline environment and one tiny model per test session."""

import os

# Before anything imports huggingface_hub/transformers/gradio: no network, no analytics.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


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
def tiny_v1_dir(tmp_path_factory) -> Path:
    """A tiny DeepSeek-OCR v1 (native Unlimited-OCR classes, full attention) saved with save_pretrained."""
    from ocr_space.testing import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-ocr-v1"), family="deepseek-ocr")
