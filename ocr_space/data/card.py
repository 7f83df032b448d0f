"""The dataset card: README.md with YAML front matter, written next to the parquet files.

The YAML names each split's file (``configs``), so the Hub's viewer and
``datasets.load_dataset(folder_or_repo)`` find the splits, and records the
features and sizes; the body says how the data was built and what is in it.
Nothing machine-specific (absolute paths, tokens) goes in: the card is meant
to be pushed to the Hub as is.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml

from ocr_space.data.stats import DatasetStats


def render_card(prefix: str, files: Mapping[str, Path], stats: DatasetStats, source: str, split_mode: str,
                seed: int) -> str:
    """README.md text for a dataset folder.

    >>> render_card("data", {"train": Path("data_train.parquet")}, stats, "plain manifest lines.txt",
    ...             "random 0.8/0.1/0.1", 42)  # doctest: +SKIP
    """
    total = sum(stats.counts.values())
    metadata = {
        "task_categories": ["image-to-text"],
        "tags": ["ocr", "text-recognition", "ocr-space"],
        "size_categories": [size_category(total)],
        "configs": [{"config_name": "default",
                     "data_files": [{"split": split, "path": Path(path).name} for split, path in files.items()]}],
        "dataset_info": {
            "features": [{"name": "image", "dtype": "image"}, {"name": "text", "dtype": "string"}],
            "splits": [{"name": split, "num_examples": stats.counts.get(split, 0)} for split in files],
        },
    }
    front = yaml.safe_dump(metadata, allow_unicode=True, sort_keys=False)
    files_list = "\n".join(f"- `{Path(path).name}` ({split}, {stats.counts.get(split, 0)} samples)"
                           for split, path in files.items())
    return f"""---
{front}---

# OCR text-line dataset (`{prefix}`)

Image + transcription pairs for fine-tuning an OCR model, built with
ocr-space from {source}. Split: {split_mode} (seed {seed}).
Every image is stored as RGB with EXIF rotation applied; rejected inputs are
listed with their reason in `rejected.jsonl`.

## Files

{files_list}

Columns: `image` (image, bytes embedded) and `text` (string).

```python
from datasets import load_dataset
dataset = load_dataset("parquet", data_files={{{", ".join(f'"{s}": "{Path(p).name}"' for s, p in files.items())}}})
```

## Statistics

{stats.markdown()}
"""


def write_card(folder: Path, *args, **kwargs) -> Path:
    """Render the card (arguments as :func:`render_card`) into ``folder/README.md``."""
    path = Path(folder) / "README.md"
    path.write_text(render_card(*args, **kwargs), encoding="utf-8")
    return path


def size_category(n: int) -> str:
    """The Hub's ``size_categories`` tag for a dataset of ``n`` rows.

    >>> size_category(30), size_category(12_000)
    ('n<1K', '10K<n<100K')
    """
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < limit:
            return label
    return "1M<n<10M"
