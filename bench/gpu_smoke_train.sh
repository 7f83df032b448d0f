#!/usr/bin/env bash
# The CUDA path of training on a tiny model, end to end through the CLI (issue 4's GPU check):
# tiny model -> dataset folder of synthetic lines -> train 8 steps -> which backend ran, loss, CER before/after.
set -euo pipefail
work=${1:-/tmp/ocr-space-gpu-smoke}
rm -rf "$work" && mkdir -p "$work"
python3 -m ocr_space tiny-model --out "$work/model"
python3 - "$work/data" <<'PY'
import sys
import datasets
from bench.common import synthetic_samples
from ocr_space.data.splits import write_split
rows = synthetic_samples("lines", 80)
features = datasets.Features({"image": datasets.Image(), "text": datasets.Value("string")})
write_split(datasets.Dataset.from_list(rows[:64], features=features), sys.argv[1], "train", prefix="smoke")
write_split(datasets.Dataset.from_list(rows[64:], features=features), sys.argv[1], "test", prefix="smoke")
PY
python3 -m ocr_space train --model "$work/model" --data "$work/data" --out "$work/run" --steps 8 --eval-samples 8
python3 - "$work/run" <<'PY'
import json, sys, pathlib
run = pathlib.Path(sys.argv[1])
print("status:", json.loads((run / "status.json").read_text()))
print("metrics:", (run / "metrics.json").read_text() if (run / "metrics.json").exists() else None)
print("adapter files:", sorted(p.name for p in (run / "adapter").iterdir()))
PY
