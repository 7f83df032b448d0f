"""build_dataset end to end: parquet that datasets and pandas read back, seeded splits, stats, card."""

import io
import json
import threading
from pathlib import Path

import datasets
import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

from ocr_space.data.build import build_dataset, parse_split, split_sizes
from ocr_space.data.samples import Candidate, Source
from ocr_space.data.splits import DatasetError, load_split
from ocr_space.errors import ConfigError

from support.data_builders import image_bytes, pixel_key, write_manifest, write_pairs

TEXTS = [f"第{i}行：发票{i * 7}" for i in range(30)]


@pytest.fixture()
def manifest(tmp_path) -> Path:
    return write_manifest(tmp_path / "raw" / "lines.txt", write_pairs(tmp_path / "raw", TEXTS))


def _input_pairs(manifest: Path) -> set[tuple[str, str]]:
    lines = manifest.read_text("utf-8").splitlines()
    return {(pixel_key((manifest.parent / name).read_bytes()), text)
            for name, text in (line.split(" ", 1) for line in lines)}


def test_round_trip_through_load_dataset_gives_the_same_pairs(manifest, tmp_path):
    built = build_dataset(manifest, tmp_path / "out", prefix="demo")
    assert built.summary() == {"train": 24, "validation": 3, "test": 3, "rejected": 0}
    files = {split: str(path) for split, path in built.files.items()}
    loaded = datasets.load_dataset("parquet", data_files=files).cast_column("image", datasets.Image(decode=False))
    found = {(pixel_key(row["image"]["bytes"]), row["text"]) for split in loaded for row in loaded[split]}
    assert found == _input_pairs(manifest)
    frame = pd.read_parquet(built.files["test"])
    assert list(frame.columns) == ["image", "text"] and isinstance(frame["image"][0]["bytes"], bytes)
    assert [image.mode for image in load_split(tmp_path / "out", "validation")["image"]] == ["RGB"] * 3


def test_split_is_seeded_and_configurable(manifest, tmp_path):
    def train_texts(out, **kwargs):
        return pd.read_parquet(build_dataset(manifest, tmp_path / out, **kwargs).files["train"])["text"].tolist()

    assert train_texts("a", seed=1) == train_texts("b", seed=1)
    assert train_texts("a", seed=1) != train_texts("c", seed=2)
    built = build_dataset(manifest, tmp_path / "d", split="0.5,0.3,0.2")
    assert built.summary() == {"train": 15, "validation": 9, "test": 6, "rejected": 0}
    assert built.split_mode == "random 0.5/0.3/0.2"


def test_split_sizes_and_spec_parsing():
    assert split_sizes(30, (0.8, 0.1, 0.1)) == [24, 3, 3]
    assert split_sizes(10_000, (0.8, 0.1, 0.1)) == [8000, 1000, 1000]
    assert split_sizes(4, (0.8, 0.1, 0.1)) == [2, 1, 1]  # every wanted split gets a sample when possible
    assert split_sizes(2, (0.8, 0.1, 0.1)) == [2, 0, 0]
    assert split_sizes(7, (1, 0, 0)) == [7, 0, 0]
    assert parse_split("keep") == "keep" and parse_split(None) == "auto"
    for bad in ("0.8,0.2", "0,0,0", "a,b,c", "-1,1,1"):  # a zero train share is an eval-only set: allowed
        with pytest.raises(ConfigError):
            parse_split(bad)


def test_given_splits_are_kept(tmp_path):
    write_pairs(tmp_path, ["训", "练", "验", "测"])
    rows = [{"file_name": f"img_{i:03d}.png", "text": t, "split": s}
            for i, (t, s) in enumerate(zip("训练验测", ["train", "train", "val", "test"], strict=True))]
    (tmp_path / "metadata.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                             encoding="utf-8")
    built = build_dataset(tmp_path, tmp_path / "out")
    assert built.split_mode == "kept from the source"
    assert pd.read_parquet(built.files["validation"])["text"].tolist() == ["验"]
    assert pd.read_parquet(built.files["train"])["text"].tolist() == ["训", "练"]
    resplit = build_dataset(tmp_path, tmp_path / "out2", split="1,0,0")
    assert resplit.summary()["train"] == 4


def test_keep_without_splits_in_the_source_is_an_error(manifest, tmp_path):
    with pytest.raises(DatasetError, match="Cannot keep"):
        build_dataset(manifest, tmp_path / "out", split="keep")


def test_card_stats_and_report_are_written(manifest, tmp_path):
    built = build_dataset(manifest, tmp_path / "out", prefix="demo")
    card = (tmp_path / "out" / "README.md").read_text("utf-8")
    front = yaml.safe_load(card.split("---")[1])
    assert front["configs"][0]["data_files"] == [{"split": s, "path": f"demo_{s}.parquet"}
                                                 for s in ("train", "validation", "test")]
    assert str(tmp_path) not in card  # the card goes to the Hub as is: no local paths
    by_card = datasets.load_dataset(str(tmp_path / "out"))  # the YAML configs are what the Hub reads too
    assert {split: len(by_card[split]) for split in by_card} == {"train": 24, "validation": 3, "test": 3}
    stats = json.loads((tmp_path / "out" / "stats.json").read_text("utf-8"))
    train_chars, test_chars = set("".join(by_card["train"]["text"])), set("".join(by_card["test"]["text"]))
    assert stats["unseen_in_train"]["test"] == "".join(sorted(test_chars - train_chars - {" "}))
    assert sum(row["count"] for row in stats["length_histogram"]) == 30
    assert stats["image_width"] == {"min": 48, "median": 48, "max": 48}
    assert stats["unique_characters"] == len(set("".join(TEXTS)))
    assert (tmp_path / "out" / "rejected.jsonl").read_text() == ""
    assert {p.name for p in built.output_files()} == {"demo_train.parquet", "demo_validation.parquet",
                                                      "demo_test.parquet", "README.md", "stats.json",
                                                      "rejected.jsonl"}


def test_progress_is_reported_with_a_total(manifest, tmp_path):
    calls = []
    build_dataset(manifest, tmp_path / "out", progress=lambda done, total, what: calls.append((done, total, what)))
    checking = [c for c in calls if c[2] == "Checking samples"]
    assert checking[-1] == (30, 30, "Checking samples")
    assert calls[-1][2] == "Done"


def test_nothing_valid_writes_the_report_and_no_parquet(tmp_path):
    manifest = write_manifest(tmp_path / "lines.txt", [("gone.png", "无"), ("also-gone.png", "无")])
    built = build_dataset(manifest, tmp_path / "out")
    assert built.files == {} and built.summary() == {"train": 0, "validation": 0, "test": 0, "rejected": 2}
    assert not list((tmp_path / "out").glob("*.parquet"))
    assert len((tmp_path / "out" / "rejected.jsonl").read_text().splitlines()) == 2


def test_another_dataset_in_the_output_folder_is_not_mixed_in(manifest, tmp_path):
    build_dataset(manifest, tmp_path / "out", prefix="first")
    with pytest.raises(DatasetError, match="another dataset.*first"):
        build_dataset(manifest, tmp_path / "out", prefix="second")
    rebuilt = build_dataset(manifest, tmp_path / "out", prefix="first", split="1,0,0")
    assert sorted(p.name for p in (tmp_path / "out").glob("*.parquet")) == ["first_train.parquet"]
    assert rebuilt.summary()["train"] == 30


def test_bad_prefix_is_refused(manifest, tmp_path):
    with pytest.raises(ConfigError, match="prefix"):
        build_dataset(manifest, tmp_path / "out", prefix="../escape")


def _rss_anon_kib() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("RssAnon:"))


def _noise_lines(n: int, side: int = 100):
    """``n`` distinct noise images (~13 KB as JPEG, 30 KB decoded), made on demand: the test holds none."""
    for i in range(n):
        pixels = np.random.default_rng(i).integers(0, 256, (side, side, 3), dtype=np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, format="JPEG", quality=95)
        yield Candidate(f"noise:{i}", buffer.getvalue(), f"样本{i}")


def _build_growth_mb(n: int, out: Path) -> tuple[float, float]:
    """(peak growth of anonymous memory during a build of n noise lines, MB of parquet written)."""
    stop, peak = threading.Event(), [0]
    baseline = _rss_anon_kib()

    def sample():
        while not stop.wait(0.005):
            peak[0] = max(peak[0], _rss_anon_kib())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        built = build_dataset(Source("noise", _noise_lines(n), total=n), out)
    finally:
        stop.set()
        sampler.join(timeout=5)
    assert built.summary() == {"train": n * 8 // 10, "validation": n // 10, "test": n // 10, "rejected": 0}
    return (peak[0] - baseline) / 1024, sum(path.stat().st_size for path in built.files.values()) / 2**20


def test_build_memory_does_not_grow_with_the_number_of_samples(tmp_path):
    """Streaming by design: 3x the samples (26 MB more JPEG, 60 MB more pixels) must not cost 3x the memory."""
    build_dataset(Source("warm-up", iter([Candidate("w", image_bytes(1), "热身")])), tmp_path / "warm")
    small_growth, small_mb = _build_growth_mb(1_000, tmp_path / "small")
    large_growth, large_mb = _build_growth_mb(3_000, tmp_path / "large")
    extra_data = large_mb - small_mb
    assert extra_data > 20
    assert large_growth - small_growth < extra_data / 2, (
        f"memory grew {small_growth:.0f} MB for {small_mb:.0f} MB of images, {large_growth:.0f} MB for {large_mb:.0f}")
