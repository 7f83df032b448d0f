#!/usr/bin/env bash
# Session 3 (issue 15) on the lent GPU: unpack the carried packages, then one part of the measurements.
#   DEPS=.speed/deps bash bench/gpu_session3.sh PART   (from the repository root; PART is one of the cases below)
# deps/ is built by `bench/pack_carry.sh deps`: site_ours.tar.xz (transformers 5.23, peft, datasets, trl, ...),
# site_bnb.tar.xz (bitsandbytes with only its CUDA 13 library), site_uns.tar.xz (Unsloth + unsloth_zoo without
# studio/, TRL 1.15, datasets 4.8, torchao, ...) and the CJK font the synthetic lines are rendered with.
set -uo pipefail
part=$1
export PYTHONUNBUFFERED=1 GRADIO_ANALYTICS_ENABLED=False HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
# the synthetic lines are rendered with the same CJK font as on the development machine
deps=${DEPS:-deps}
mkdir -p /usr/share/fonts/truetype/wqy && cp "$deps/wqy-microhei.ttc" /usr/share/fonts/truetype/wqy/
for site in ours bnb uns; do  # site_uns travels only for the Unsloth parts
  [ -f "$deps/site_$site.tar.xz" ] && mkdir -p /tmp/site_$site && tar xJf "$deps/site_$site.tar.xz" -C /tmp/site_$site
done
export PYTHONPATH=$PWD:/tmp/site_ours:/tmp/site_bnb
export UNSLOTH_PYTHONPATH=$PWD:/tmp/site_uns:/tmp/site_bnb
export UNSLOTH523_PYTHONPATH=$PWD:/tmp/site_ours:/tmp/site_bnb:/tmp/site_uns
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
  s4a)
    # session 4, first call: does Unsloth patch on 5.23; where a batch's generation time goes; QLoRA
    bash "$0" unsloth523
    python3 bench/infer_speed.py --lines 32 --breakdown 1,32 --decode "" --new-tokens 32 \
      --json "$OUT/infer_breakdown_h200.json"
    python3 bench/train_speed.py --shapes lines --variants b-4bit --steps 8 --variant-timeout 240 \
      --json "$OUT/train_4bit_h200.json" ;;
  s4b)
    # session 4, Unsloth side by side: train() defaults, train() with backend=unsloth on transformers 5.23 (that
    # path was removed after this run: variant b-unsloth no longer exists), Unsloth's own harness on the
    # transformers it supports (the image's 5.17), same mode, micro-batch, accumulation
    python3 bench/train_speed.py --shapes lines --variants b,b-unsloth,c --steps 10 --variant-timeout 250 \
      --json "$OUT/train_unsloth_h200.json" ;;
  s4c)
    # session 4, last call: the ratios (reference vs defaults, full and under 15 GiB), generation with the image
    # processor on the GPU, then a fused AdamW and QLoRA without the fp32 upcast; each part time-boxed
    timeout 290 python3 bench/train_speed.py --shapes lines --variants a,b,a-t4,b-t4 --steps 10 \
      --variant-timeout 100 --json "$OUT/train_ratios_h200.json"
    timeout 140 python3 bench/infer_speed.py --lines 64 --batch-sizes 1,32 --new-tokens 32 --lines-b1 16 \
      --decode eager,auto --json "$OUT/infer_h200_s4.json"
    timeout 115 python3 bench/train_speed.py --shapes lines --variants b-fused,b-4bit --steps 10 \
      --variant-timeout 55 --json "$OUT/train_levers_h200.json" ;;
  s4d)
    # session 4, check: recognize_batch with the image processor on the host vs on the GPU, in one process
    python3 bench/infer_speed.py --lines 64 --batch-sizes 32,1 --new-tokens 32 --lines-b1 16 --decode auto \
      --preprocess host,auto,host --json "$OUT/infer_preprocess_h200.json" ;;
  s4e)
    # session 4, for the next session: where the host's time goes in a default training step (cProfile)
    python3 bench/profile_step.py --shape lines --mode small --batch 8 --ours --steps 6 --profile --host-profile 3 \
      --json "$OUT/profile_host_h200_s4.json" ;;
  s5a)
    # session 5, first call: the vision-encoder CUDA graphs on the GPU (tests on the tiny model), then training
    # with and without them and with the fused LoRA, one image at a time with and without, and a profile of
    # a batch-32 generate
    timeout 120 python3 -m pytest -q -p no:cacheprovider --noconftest tests/models/test_vision_graph.py 2>&1 | tail -15
    timeout 330 python3 bench/train_speed.py --shapes lines --variants b-no-vgraph,b,b-fused-lora,b-t4 --steps 10 \
      --variant-timeout 80 --json "$OUT/train_vgraph_h200.json"
    timeout 130 python3 bench/infer_speed.py --lines 32 --batch-sizes 1 --new-tokens 32 --lines-b1 16 \
      --decode auto --vision-graph off,on --profile-generate 32 --json "$OUT/infer_vgraph_h200.json" ;;
  s5b)
    # session 5, second call: why the accumulation test failed; where batch 1's time goes now; the ratios
    # (reference vs defaults, full and under 15 GiB) and generation at batch 1 and 32
    timeout 60 python3 -m pytest -q -p no:cacheprovider --noconftest -W ignore -x --tb=short \
      tests/models/test_vision_graph.py -k "training" 2>&1 | grep -v "^  warnings.warn\|Warning" | tail -40
    timeout 60 python3 bench/infer_speed.py --lines 8 --breakdown 1 --decode "" --new-tokens 32 \
      --json "$OUT/infer_breakdown_b1_h200.json" 2>&1 | grep "^{"
    timeout 330 python3 bench/train_speed.py --shapes lines --variants a,b,a-t4,b-t4,b-t4-no-vgraph --steps 10 \
      --variant-timeout 100 --json "$OUT/train_ratios_h200_s5.json"
    timeout 110 python3 bench/infer_speed.py --lines 64 --batch-sizes 1,32 --new-tokens 32 --lines-b1 16 \
      --decode auto --json "$OUT/infer_h200_s5.json" ;;
  s5c)
    # session 5, last call: the GPU tests (accumulation fixed, the decoder graphs), then the ratios with the
    # decoder graphs on, and each graph's share
    timeout 90 python3 -m pytest -q -p no:cacheprovider --noconftest -W ignore --tb=short \
      tests/models/test_vision_graph.py 2>&1 | grep -v "^  warnings.warn\|Warning" | tail -30
    timeout 420 python3 bench/train_speed.py --shapes lines \
      --variants a,b,b-vision-graph,b-no-graphs,a-t4,b-t4,b-t4-vision-graph --steps 10 \
      --variant-timeout 90 --json "$OUT/train_ratios_graphs_h200_s5.json" ;;
  s6a)
    # session 6, first call (ran the former s6a by mistake: fp16 and the train() rate with paced logging,
    # bench/RESULTS.md). Kept for the record: the fp16/cap variants and the own-loop host profile with graphs
    timeout 150 python3 bench/profile_step.py --shape lines --mode small --batch 8 --ours --graphs --steps 8 \
      --profile --host-profile 3 --json "$OUT/profile_host_graphs_h200.json" 2>&1 | tail -60
    timeout 300 python3 bench/train_speed.py --shapes lines --variants b,b-fp16,b-t4,b-t4-expandable --steps 10 \
      --variant-timeout 70 --json "$OUT/train_fp16_cap_h200.json" ;;
  s6b)
    # session 6, second call: the GPU tests (the accumulation fix; graph keys from graph_capture.module_signature);
    # generation at batch 32 with the routed experts' kernels picked by size (ocr_space.models.sized_experts)
    # against transformers' own switch to batched_mm, on the dynamic and the static cache; where train()'s host
    # time goes around the graphed model, and the fused AdamW now that the model part is graphed
    timeout 100 python3 -m pytest -q -p no:cacheprovider --noconftest -W ignore --tb=short \
      tests/models/test_vision_graph.py 2>&1 | grep -v "^  warnings.warn\|Warning" | tail -30
    timeout 240 python3 bench/infer_speed.py --lines 64 --batch-sizes 32 --new-tokens 32 --decode eager,static \
      --experts transformers,sized,grouped --json "$OUT/infer_experts_b32_h200.json" 2>&1 | grep -v "^{"
    timeout 150 python3 bench/train_speed.py --shapes lines --variants b-host-profile,b-fused --steps 12 \
      --variant-timeout 70 --json "$OUT/train_host_profile_h200.json" 2>&1 | grep -v "^{" ;;
  s6c)
    # session 6, third call: the ratios with the Trainer's per-step walks over trainable tensors only
    # (ocr_space/train/lean_steps.py) and the graph keys taken once per run, with the 8-bit AdamW (the default,
    # which synchronizes the GPU after every parameter) against the fused AdamW; then generation at batch 1
    # (default path) and 32 (static cache, sized experts)
    timeout 430 python3 bench/train_speed.py --shapes lines --variants a,b,b-fused,a-t4,b-t4,b-t4-fused --steps 10 \
      --variant-timeout 80 --json "$OUT/train_ratios_h200_s6.json" 2>&1 | grep -v "^{"
    timeout 110 python3 bench/infer_speed.py --lines 64 --batch-sizes 1,32 --new-tokens 32 --lines-b1 16 \
      --decode auto,static --experts sized --json "$OUT/infer_h200_s6.json" 2>&1 | grep -v "^{" ;;
  s6d)
    # session 6, last call: the GPU tests (decoder gradients accumulating over two length buckets, which lets
    # the graphs serve runs with grad_accum > 1); the ratios with the new defaults (fused AdamW, lean Trainer
    # steps); generation on the default path at batch 1 and at batch 32 in a job of 1,024 lines (long enough
    # for full batches to take the compiled decode, ocr_space.fast_generate.FAST_DECODE_MIN_BATCHED_PAGES)
    timeout 70 python3 -m pytest -q -p no:cacheprovider --noconftest -W ignore --tb=short \
      tests/models/test_vision_graph.py 2>&1 | grep -v "^  warnings.warn\|Warning" | tail -20
    timeout 300 python3 bench/train_speed.py --shapes lines --variants a,b,a-t4,b-t4 --steps 10 \
      --variant-timeout 75 --json "$OUT/train_ratios_h200_s6d.json" 2>&1 | grep -v "^{"
    timeout 160 python3 bench/infer_speed.py --lines 1024 --batch-sizes 1,32 --new-tokens 32 --lines-b1 16 \
      --decode auto --experts sized --json "$OUT/infer_h200_s6d.json" 2>&1 | grep -v "^{" ;;
  s7a)
    # session 7, first call: where batch 1's generate spends its time (profiler: kernels, CUDA runtime calls,
    # chrome trace; cProfile of the host), batch 1 with the experts batched (default) or grouped; then the ratio
    # under the 15 GiB fp16 cap, the reference given enough time this once (it timed out at 75 s in session 6)
    timeout 200 python3 bench/infer_speed.py --lines 16 --batch-sizes 1 --lines-b1 16 --new-tokens 32 \
      --decode auto --experts sized,grouped --breakdown 1 --profile-generate 1 --trace-dir "$OUT" \
      --json "$OUT/infer_profile_b1_h200_s7.json" 2>&1 | grep -v "^{"
    timeout 330 python3 bench/train_speed.py --shapes lines --variants a-t4,b-t4 --steps 10 \
      --variant-timeout 150 --json "$OUT/train_ratio_t4_h200_s7.json" 2>&1 | grep -v "^{" ;;
  s8a)
    # session 8, first call: the graphed greedy loop (ocr_space.graphed_decode) on the GPU: its tests (the step
    # captured and replayed, tokens as generate's), then batch 1 and 32 against transformers' compiled static
    # decode (the former default), the experts sized or grouped, and inductor-compiled before capture; a profile
    # of one batch-1 generate on the new default
    timeout 150 python3 -m pytest -q -p no:cacheprovider --noconftest -W ignore --tb=short \
      tests/test_graphed_decode.py 2>&1 | grep -v "^  warnings.warn\|Warning" | tail -30
    timeout 420 python3 bench/infer_speed.py --lines 64 --batch-sizes 1,32 --new-tokens 32 --lines-b1 16 \
      --decode compiled/sized,auto/sized,auto/grouped,graphed-compiled/sized --profile-generate 1 \
      --json "$OUT/infer_graphed_h200_s8.json" 2>&1 | grep -v "^{" ;;
  s8b)
    # session 8, second call: the GPU tests (the compiled step too), then the new default path as a long job
    # takes it: one image at a time in a job of 256 lines and batches of 32 in a job of 8,192 (both compile
    # the step, ocr_space.fast_generate.COMPILE_MIN_PAGES)
    timeout 150 python3 -m pytest -q -p no:cacheprovider --noconftest -W ignore --tb=short \
      tests/test_graphed_decode.py 2>&1 | grep -v "^  warnings.warn\|Warning" | tail -30
    timeout 400 python3 bench/infer_speed.py --lines 8192 --batch-sizes 32,1 --new-tokens 32 --lines-b1 256 \
      --decode auto/sized --json "$OUT/infer_default_h200_s8.json" 2>&1 | grep -v "^{" ;;
  s8c)
    # session 8, third call: why the compiled step's GPU test failed in s8b; the training ratio under the 15 GiB
    # fp16 cap once more (call 3 of session 6: 10.32, session 7: 6.84, the reference's own speed varying)
    timeout 120 python3 -m pytest -q -p no:cacheprovider -p no:logging --noconftest -W ignore --tb=short \
      tests/test_graphed_decode.py -k compiled 2>&1 | grep -v "DEBUG\|^  warnings.warn\|Warning" | tail -40
    timeout 330 python3 bench/train_speed.py --shapes lines --variants a-t4,b-t4 --steps 10 \
      --variant-timeout 150 --json "$OUT/train_ratio_t4_h200_s8.json" 2>&1 | grep -v "^{" ;;
  s8d)
    # session 8, last call: the graphed decode with a LoRA adapter (r=16, the routed experts too: PEFT's
    # experts, then the factored ones load_model uses) at batch 32, and one image at a time without one
    timeout 300 python3 bench/infer_speed.py --lines 64 --batch-sizes 1 --new-tokens 32 --lines-b1 16 \
      --decode auto --adapter-batch 32 --json "$OUT/infer_adapter_h200_s8.json" 2>&1 | grep -v "^{" ;;
  s8e)
    # session 8: the GPU tests of the graphed decode, a capture that must fail (a T4's experts fallback) included
    timeout 150 python3 -m pytest -q -p no:cacheprovider -p no:logging --noconftest -W ignore --tb=short \
      tests/test_graphed_decode.py 2>&1 | grep -v "DEBUG\|^  warnings.warn\|Warning" | tail -40 ;;
  s8f)
    # for the next session (not run: session 8's device time was spent): the GPU graph tests and train()
    # defaults for ten steps after the frozen experts' backward (expert_lora._FrozenGroupedLinear, which runs
    # only under transformers' grouped-matmul fallback, so the H200's bf16 path should not move)
    timeout 100 python3 -m pytest -q -p no:cacheprovider --noconftest -W ignore --tb=short \
      tests/models/test_vision_graph.py 2>&1 | grep -v "^  warnings.warn\|Warning" | tail -12
    timeout 120 python3 bench/train_speed.py --shapes lines --variants b --steps 10 --variant-timeout 100 \
      --json "$OUT/train_b_h200_s8.json" 2>&1 | grep -v "^{" ;;
  s9a|s9b)
    # session 9, first two calls (s9b: the padded blocks no longer kept for the backward): the padded experts
    # layout's GPU tests (fp16 takes it by itself, with the loop's numbers; bf16 keeps the grouped kernel), then
    # the ratio under the 15 GiB fp16 cap with it (b-t4, today's default) and without it (b-t4-loop: the host
    # loop over experts), the reference in the same call
    timeout 150 python3 -m pytest -q -p no:cacheprovider -p no:logging --noconftest -W ignore --tb=short \
      tests/models/test_padded_experts.py 2>&1 | grep -v "DEBUG\|^  warnings.warn\|Warning" | tail -30
    timeout 440 python3 bench/train_speed.py --shapes lines --variants b-t4,a-t4,b-t4-loop --steps 10 \
      --variant-timeout 150 --json "$OUT/train_ratio_t4_h200_s9.json" 2>&1 | grep -v "^{" ;;
  s9c)
    # session 9, third call: the ratio under the cap once more with the padded layout, the bf16 defaults (the
    # layout does not apply there: that path should not move) and the graph tests (former s8f)
    timeout 100 python3 -m pytest -q -p no:cacheprovider --noconftest -W ignore --tb=short \
      tests/models/test_vision_graph.py 2>&1 | grep -v "^  warnings.warn\|Warning" | tail -12
    timeout 400 python3 bench/train_speed.py --shapes lines --variants a-t4,b-t4,b --steps 10 \
      --variant-timeout 150 --json "$OUT/train_ratio_t4_h200_s9c.json" 2>&1 | grep -v "^{" ;;
  s9d)
    # session 9, last call: the ratio under the cap a third time, with how much the padded layout padded
    # (train_speed records padded rows per routed row of each MoE layer call)
    timeout 330 python3 bench/train_speed.py --shapes lines --variants a-t4,b-t4 --steps 10 \
      --variant-timeout 150 --json "$OUT/train_ratio_t4_h200_s9d.json" 2>&1 | grep -v "^{" ;;
  fused)
    # next session: the fused LoRA Linear (branch speed2-fused-lora) against the defaults, in one call
    python3 bench/train_speed.py --shapes lines --variants a,b,b-fused-lora,a-t4,b-t4,b-t4-fused-lora --steps 10 \
      --variant-timeout 100 --json "$OUT/train_fused_lora_h200.json" ;;
esac
