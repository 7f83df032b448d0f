#!/usr/bin/env bash
# Session 3 (issue 15) on the lent GPU: unpack the carried packages, then one part of the measurements.
#   bash bench/gpu_session3.sh train|train2|infer|rest|unsloth523   (from the folder holding ocr_space/, bench/, deps/)
# deps/ is built by `bench/pack_carry.sh deps`: site_ours.tar.xz (transformers 5.23, peft, datasets, trl, ...),
# site_bnb.tar.xz (bitsandbytes with only its CUDA 13 library), site_uns.tar.xz (Unsloth + unsloth_zoo without
# studio/, TRL 1.15, datasets 4.8, torchao, ...) and the CJK font the synthetic lines are rendered with.
set -uo pipefail
part=$1
export PYTHONUNBUFFERED=1 GRADIO_ANALYTICS_ENABLED=False HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
# the synthetic lines are rendered with the same CJK font as on the development machine
mkdir -p /usr/share/fonts/truetype/wqy && cp deps/wqy-microhei.ttc /usr/share/fonts/truetype/wqy/
for site in ours bnb uns; do mkdir -p /tmp/site_$site && tar xJf deps/site_$site.tar.xz -C /tmp/site_$site; done
export PYTHONPATH=$PWD:/tmp/site_ours:/tmp/site_bnb
export UNSLOTH_PYTHONPATH=$PWD:/tmp/site_uns:/tmp/site_bnb
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
python3 -c "import torch, transformers, peft, bitsandbytes; print('torch', torch.__version__, 'transformers', transformers.__version__, 'peft', peft.__version__, 'bnb', bitsandbytes.__version__, torch.cuda.get_device_name(0))"
nvidia-smi --query-gpu=name,memory.total,clocks.sm --format=csv,noheader
case $part in
  train)
    python3 bench/train_speed.py --shapes lines --variants a,b-eager,b,a-t4,b-t4 --steps 10 --variant-timeout 420 \
      --json "$OUT/train_lines_h200.json" ;;
  infer)
    python3 bench/infer_speed.py --lines 64 --batch-sizes 1,32 --new-tokens 32 --lines-b1 16 --decode eager,auto \
      --json "$OUT/infer_h200.json" ;;
  train2)
    python3 bench/train_speed.py --shapes lines --variants b-eager,b,a-t4,b-t4,b-t4-eager,b-4bit,b-tiles,b-base \
      --steps 10 --variant-timeout 200 --json "$OUT/train_lines_h200_call3.json" ;;
  rest)
    python3 bench/train_speed.py --shapes lines --variants b-4bit,c,b-base,b-tiles --steps 8 --variant-timeout 400 \
      --json "$OUT/train_rest_h200.json" ;;
  unsloth523)
    # does Unsloth import and patch on the project's transformers 5.23?
    PYTHONPATH=$PWD:/tmp/site_ours:/tmp/site_bnb:/tmp/site_uns timeout 120 python3 -c "import unsloth, transformers; print('unsloth', unsloth.__version__, 'imports on transformers', transformers.__version__); from unsloth import FastVisionModel; print('FastVisionModel ok')" 2>&1 | tail -5 ;;
esac
