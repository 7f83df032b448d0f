"""A dataset build that fails half-way leaves the folder as it was: never old and new split files mixed."""

import errno

import pytest

from ocr_space.data import build as build_module
from ocr_space.data.build import build_dataset

from support.data_builders import write_manifest, write_pairs


def _files(folder):
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_a_build_that_fails_while_writing_leaves_the_previous_build_whole(tmp_path, monkeypatch):
    out = tmp_path / "ds"
    first = write_manifest(tmp_path / "a" / "lines.txt", write_pairs(tmp_path / "a", [f"旧{i}" for i in range(10)]))
    build_dataset(first, out, split="0.8,0.1,0.1")
    before = _files(out)

    write_split = build_module.write_split
    calls = []

    def full_disk_on_second_split(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return write_split(*args, **kwargs)

    monkeypatch.setattr(build_module, "write_split", full_disk_on_second_split)
    second = write_manifest(tmp_path / "b" / "lines.txt", write_pairs(tmp_path / "b", [f"新{i}" for i in range(10)]))
    with pytest.raises(OSError):
        build_dataset(second, out, split="0.8,0.1,0.1")

    assert len(calls) == 2  # the first split of the new build was written before the disk filled
    assert _files(out) == before
    assert [path.name for path in tmp_path.iterdir() if ".building-" in path.name] == []


def test_a_rebuild_replaces_every_file_and_drops_splits_the_new_build_lacks(tmp_path):
    out = tmp_path / "ds"
    first = write_manifest(tmp_path / "a" / "lines.txt", write_pairs(tmp_path / "a", [f"旧{i}" for i in range(10)]))
    build_dataset(first, out, split="0.8,0.1,0.1")
    second = write_manifest(tmp_path / "b" / "lines.txt", write_pairs(tmp_path / "b", ["新的一行", "另一行"]))
    built = build_dataset(second, out, split="1,0,0")
    assert sorted(built.files) == ["train"]
    assert not (out / "data_test.parquet").exists() and not (out / "data_validation.parquet").exists()
    assert built.files["train"] == out / "data_train.parquet" and built.files["train"].is_file()
