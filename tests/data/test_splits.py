import datasets
import pandas as pd
import pytest
from PIL import Image

from ocr_space.data.splits import DatasetError, load_split, split_files, write_split


def _tiny_split(n: int) -> datasets.Dataset:
    features = datasets.Features({"image": datasets.Image(), "text": datasets.Value("string")})
    rows = {"image": [Image.new("RGB", (40 + i, 20), "white") for i in range(n)], "text": [f"行{i}" for i in range(n)]}
    return datasets.Dataset.from_dict(rows, features=features)


def test_write_then_load_round_trips_pairs(tmp_path):
    write_split(_tiny_split(3), tmp_path, "train", prefix="demo")
    write_split(_tiny_split(2), tmp_path, "test", prefix="demo")
    assert set(split_files(tmp_path)) == {"train", "test"}
    loaded = load_split(tmp_path, "train")
    assert loaded["text"] == ["行0", "行1", "行2"]
    assert [image.size for image in loaded["image"]] == [(40, 20), (41, 20), (42, 20)]
    frame = pd.read_parquet(tmp_path / "demo_test.parquet")
    assert list(frame.columns) == ["image", "text"]
    assert isinstance(frame["image"][0]["bytes"], bytes)  # embedded, not a path


def test_missing_split_and_folder_are_named(tmp_path):
    with pytest.raises(DatasetError, match="not found"):
        split_files(tmp_path / "none")
    write_split(_tiny_split(1), tmp_path, "train")
    with pytest.raises(DatasetError, match="no 'test' split"):
        load_split(tmp_path, "test")
