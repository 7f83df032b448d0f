"""Fixtures for the UI tests."""

import pytest


@pytest.fixture(scope="session")
def model_folders(tmp_path_factory):
    """{family name: a folder holding the config.json that save_pretrained writes for the family's tiny config}."""
    from ocr_space.models.registry import families

    folders = {}
    for name, family in families().items():
        config = family.tiny_config(vocab_size=64, bos_token_id=0, eos_token_id=1, pad_token_id=2, image_token_id=3)
        folders[name] = tmp_path_factory.mktemp(name)
        config.save_pretrained(folders[name])
    return folders
