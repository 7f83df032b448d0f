#!/usr/bin/env bash
# Build what bench/gpu_session3.sh unpacks on the lent GPU (its image has torch 2.11 and transformers 5.17 only;
# 64 MiB travel per call): xz-compressed tarballs of unpacked packages, far smaller than the wheels.
#   bash bench/pack_carry.sh DEST      -> DEST/site_ours.tar.xz, site_bnb.tar.xz, site_uns.tar.xz, wqy-microhei.ttc
# site_ours: the project's pins the image lacks; site_bnb: bitsandbytes with only its CUDA 13.0 library (the other
# libbitsandbytes_cuda*.so are ~20 MB each); site_uns: Unsloth + unsloth_zoo (without Unsloth's studio/ front end)
# and the versions they pin (TRL <= 1.15, datasets < 5), used with the image's own transformers 5.17.
set -euo pipefail
dest=$(realpath "${1:?destination folder}")
work=$(mktemp -d)
mkdir -p "$dest"
get() {  # download wheels for the device's Python 3.12 on x86-64
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_24_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 --platform any -d "$work/$1" "${@:2}"
}
get ours transformers==5.23.0 peft==0.21.2 datasets==5.2.0 trl==1.16.0 rapidfuzz==3.14.6 jiwer==4.0.0 \
  dill==0.4.0 multiprocess==0.70.18
get bnb bitsandbytes==0.50.2
get uns unsloth==2026.10.9 unsloth_zoo==2026.10.9 trl==1.15.0 datasets==4.8.5 torchao cut_cross_entropy tyro \
  docstring-parser shtab typeguard hf_transfer msgspec json5 nest-asyncio structlog pydantic pydantic-core \
  annotated-types typing-inspection diffusers dill==0.4.0 multiprocess==0.70.18
for site in ours bnb uns; do
  mkdir -p "$work/site_$site"
  for wheel in "$work/$site"/*.whl; do unzip -q -o "$wheel" -d "$work/site_$site"; done  # plain unzip: any host
done
find "$work/site_bnb/bitsandbytes" -name 'libbitsandbytes_*.so' ! -name 'libbitsandbytes_cuda130.so' -delete
rm -rf "$work/site_uns/studio" "$work/site_uns/test"  # keep unsloth_zoo_downloads: unsloth_zoo imports it
for site in ours bnb uns; do
  find "$work/site_$site" -name __pycache__ -prune -exec rm -rf {} +
  tar cf - -C "$work/site_$site" . | xz -6 -T0 > "$dest/site_$site.tar.xz"
done
cp /usr/share/fonts/truetype/wqy/wqy-microhei.ttc "$dest/"  # the device image has no CJK font
rm -rf "$work"
ls -la "$dest"
