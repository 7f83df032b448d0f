"""Persistence: with persistent storage (a Space's /data, or OCR_SPACE_DATA standing in for it) runs, datasets,
reports and the Hugging Face caches live there; a Space without it is told its work is lost on restart."""

import pytest

from ocr_space import config


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("OCR_SPACE_DATA", "OCR_SPACE_RUNS", "OCR_SPACE_DATASETS", "OCR_SPACE_REPORTS", "OCR_SPACE_CACHE",
                 "HF_HOME", "SPACE_ID", "OCR_SPACE_AUTO_RESUME"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_persistent_storage_holds_runs_datasets_reports_and_hf_home(clean_env, tmp_path):
    clean_env.setenv("OCR_SPACE_DATA", str(tmp_path))
    assert config.runs_root() == tmp_path / "ocr-space" / "runs"
    assert config.datasets_root() == tmp_path / "ocr-space" / "datasets"
    assert config.reports_root() == tmp_path / "ocr-space" / "reports"
    assert config.cache_root() == tmp_path / "ocr-space" / "cache"
    assert config.use_persistent_storage() == tmp_path / "huggingface"
    import os

    assert os.environ["HF_HOME"] == str(tmp_path / "huggingface")
    assert not config.work_lost_on_restart()


def test_an_explicit_hf_home_or_folder_wins(clean_env, tmp_path):
    clean_env.setenv("OCR_SPACE_DATA", str(tmp_path))
    clean_env.setenv("HF_HOME", "/elsewhere")
    clean_env.setenv("OCR_SPACE_RUNS", "/my/runs")
    assert config.use_persistent_storage() is None and config.runs_root().as_posix() == "/my/runs"


def test_a_space_without_storage_is_told_its_work_is_lost(clean_env, tmp_path):
    clean_env.setenv("SPACE_ID", "someone/ocr-space")
    clean_env.setattr(config, "SPACE_STORAGE", tmp_path / "no-data")
    assert config.persistent_root() is None and config.work_lost_on_restart()
    assert config.runs_root().as_posix() == "runs"
    from ocr_space.startup import on_start

    assert any("lost when it restarts" in warning for warning in on_start())


def test_outside_a_space_local_folders_are_used_and_nothing_is_said(clean_env):
    assert config.persistent_root() is None and not config.work_lost_on_restart()
    assert (config.runs_root().as_posix(), config.datasets_root().as_posix()) == ("runs", "datasets")
