"""A PIL backend for transformers' ``UnlimitedOcrImageProcessor``, so DeepSeek-OCR v1 runs without torchvision.

transformers ships the Unlimited-OCR image processor only for the torchvision
backend, and torchvision has no CPU build on PyPI that matches a CPU torch
(the PyPI wheel needs CUDA libraries), so here, in CI and on CPU-only machines
``AutoProcessor`` cannot build one. DeepSeek-OCR-2's processor has a PIL
backend that already does most of v1's work (aspect-matched tiles, the padded
global view, mean/std 0.5). This subclass adds the three things v1 and the
Unlimited-OCR model need on top:

- small views are *stretched*: without tiles and for sizes up to
  ``maximum_pad_value`` (640) the image is resized to a square, as v1's Tiny and
  Small modes do; larger views keep the aspect ratio and are padded;
- the global view has the configured ``size`` also without tiles (OCR-2 uses
  the tile size there);
- ``patches_grid`` ([columns, rows] of tiles per image), which both the
  Unlimited-OCR processor (newline tokens per row) and model (tile layout) read.

It saves under the torchvision class's name (transformers drops the ``Pil``
suffix, as for every PIL backend), so a folder written here loads with plain
transformers + torchvision too; :func:`register_pil_backend` makes
``AutoProcessor`` pick this class where torchvision is missing.
"""

from __future__ import annotations

from functools import lru_cache

from transformers.image_utils import SizeDict, get_image_size
from transformers.models.deepseek_ocr2 import DeepseekOcr2ImageProcessorPil
from transformers.models.deepseek_ocr2.image_processing_pil_deepseek_ocr2 import (
    DeepseekOcr2ImageProcessorKwargs,
    get_optimal_tiled_canvas,
)

from ocr_space.models.deepseek_ocr_v1.config import scaled_px


class UnlimitedOcrImageProcessorKwargs(DeepseekOcr2ImageProcessorKwargs, total=False):
    r"""
    maximum_pad_value (`int`, *optional*, defaults to `640`):
        Without tiles, views up to this size are stretched to a square; larger ones are padded.
    """

    maximum_pad_value: int


class UnlimitedOcrImageProcessorPil(DeepseekOcr2ImageProcessorPil):
    """v1's image preprocessing (tiles, then global view) on PIL/numpy; see the module docstring."""

    valid_kwargs = UnlimitedOcrImageProcessorKwargs
    model_input_names = ["pixel_values", "num_local_patches", "patches_grid"]
    min_patches = 2
    max_patches = 32  # transformers' Unlimited-OCR default; the v1 family passes 9
    tile_size = 640
    maximum_pad_value = 640
    _lists_not_tensors = ["num_local_patches", "patches_grid"]

    def _preprocess(self, images, size: SizeDict, resample, do_rescale, rescale_factor, do_normalize, image_mean,
                    image_std, return_tensors, crop_to_patches: bool = True, min_patches: int = 2,
                    max_patches: int = 32, tile_size: int = 640, maximum_pad_value: int = 640,
                    background_color=None, **kwargs):
        side = max(size.height, size.width)
        stretch = not crop_to_patches and side <= maximum_pad_value
        if stretch:
            # v1 resizes small views straight to a square; the parent's padding is then a no-op.
            images = [self.resize(image, SizeDict(height=side, width=side), resample=resample) for image in images]
        grids = [self._tile_grid(image, crop_to_patches, min_patches, max_patches, tile_size) for image in images]
        features = super()._preprocess(
            images, size=SizeDict(height=side, width=side), resample=resample, do_rescale=do_rescale,
            rescale_factor=rescale_factor, do_normalize=do_normalize, image_mean=image_mean, image_std=image_std,
            return_tensors=None, crop_to_patches=crop_to_patches, min_patches=min_patches, max_patches=max_patches,
            # without tiles the parent sizes the global view by tile_size; v1 sizes it by `size`
            tile_size=tile_size if crop_to_patches else side, background_color=background_color,
        )
        data = dict(features)
        data["patches_grid"] = grids
        return type(features)(data=data, tensor_type=return_tensors, skip_tensor_conversion=self._lists_not_tensors)

    @staticmethod
    def _tile_grid(image, crop_to_patches: bool, min_patches: int, max_patches: int, tile_size: int) -> list[int]:
        height, width = get_image_size(image)
        if crop_to_patches and max(height, width) > tile_size:
            return list(get_optimal_tiled_canvas((height, width), (tile_size, tile_size), min_patches, max_patches))
        return [1, 1]


@lru_cache(maxsize=1)
def register_pil_backend() -> None:
    """Make ``AutoImageProcessor``/``AutoProcessor`` use :class:`UnlimitedOcrImageProcessorPil` when torchvision is missing.

    Folders name the image processor ``UnlimitedOcrImageProcessor``; we add a
    ``pil`` entry next to transformers' ``torchvision`` one, so the backend is
    chosen as for any model: torchvision where installed, else ours. (We write
    the mapping directly: ``AutoImageProcessor.register`` insists on importing
    the torchvision class, which is exactly what fails without torchvision.)
    Idempotent.

    >>> register_pil_backend()
    """
    from transformers import UnlimitedOcrConfig
    from transformers.models.auto.image_processing_auto import IMAGE_PROCESSOR_MAPPING

    IMAGE_PROCESSOR_MAPPING.register(
        UnlimitedOcrConfig,
        {"torchvision": "UnlimitedOcrImageProcessor", "pil": UnlimitedOcrImageProcessorPil},
        exist_ok=True,
    )


def v1_processor(tokenizer, patch_size: int = 16):
    """transformers' ``UnlimitedOcrProcessor`` set up as DeepSeek-OCR v1's defaults (Gundam: 1024 global + 640 tiles, 2..9).

    ``patch_size`` is SAM's; a tiny test model with 4-px patches gets every size
    divided by 4, so its prompts carry exactly as many image tokens as the real
    model's (one token per 64 px at 16-px patches).

    >>> processor = v1_processor(tokenizer)  # doctest: +SKIP
    """
    from transformers import UnlimitedOcrProcessor

    image_processor = UnlimitedOcrImageProcessorPil(
        size={"height": scaled_px(1024, patch_size), "width": scaled_px(1024, patch_size)},
        tile_size=scaled_px(640, patch_size),
        maximum_pad_value=scaled_px(640, patch_size),
        crop_to_patches=True,
        min_patches=2,
        max_patches=9,
        image_mean=[0.5, 0.5, 0.5],
        image_std=[0.5, 0.5, 0.5],
    )
    return UnlimitedOcrProcessor(image_processor=image_processor, tokenizer=tokenizer, patch_size=patch_size,
                                 downsample_ratio=4)
