"""How many pixels a resolution mode looks at, read from the processor it configures.

A mode is a set of processor arguments (see each family's ``RESOLUTION_MODES``);
what they mean in pixels depends on the processor (a tiny test processor is
192 px, the real one 1024). Two places need the pixels: a PDF page is
rendered so its longer side matches what the mode reads (no wasted detail,
none missing), and a trained adapter records the sizes it was trained at.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

#: a tile size this much larger than the global view means "never tile" (the families' way to switch tiles off)
_NEVER_TILE_FACTOR = 16


@dataclass(frozen=True)
class ModeSizes:
    """The global view's side, the tile side (None = no tiles) and the most tiles per image.

    >>> ModeSizes(view_side=1024, tile_side=768, max_tiles=6).page_side
    2304
    >>> ModeSizes(view_side=768, tile_side=None, max_tiles=0).page_side
    768
    """

    view_side: int
    tile_side: int | None
    max_tiles: int

    @property
    def page_side(self) -> int:
        """The longer side a page should be rendered at: the view, or as many tiles as a portrait page gets.

        A portrait page (about 1:1.4) with at most ``n`` tiles gets a grid about
        ``sqrt(1.5 n)`` tiles tall (6 -> 2 x 3, 9 -> 2 x 3 or 3 x 3).
        """
        if self.tile_side is None:
            return self.view_side
        tiles_along = max(1, math.isqrt(int(1.5 * max(self.max_tiles, 1))))
        return max(self.view_side, self.tile_side * tiles_along)

    def as_dict(self) -> dict:
        return asdict(self)


def mode_sizes(processor: Any, processor_kwargs: dict) -> ModeSizes:
    """The sizes ``processor`` uses when called with ``processor_kwargs`` (one mode's arguments).

    >>> from types import SimpleNamespace as NS
    >>> processor = NS(image_processor=NS(size={"height": 1024, "width": 1024}, tile_size=768, max_patches=6))
    >>> mode_sizes(processor, {"crop_to_patches": False, "size": {"height": 768, "width": 768}})
    ModeSizes(view_side=768, tile_side=None, max_tiles=0)
    >>> mode_sizes(processor, {})
    ModeSizes(view_side=1024, tile_side=768, max_tiles=6)
    """
    image_processor = processor.image_processor
    size = processor_kwargs.get("size") or image_processor.size
    view_side = int(max(_get(size, "height"), _get(size, "width")))
    tiles = processor_kwargs.get("crop_to_patches", getattr(image_processor, "crop_to_patches", True))
    tile_side = processor_kwargs.get("tile_size", getattr(image_processor, "tile_size", None))
    max_tiles = int(processor_kwargs.get("max_patches", getattr(image_processor, "max_patches", 0) or 0))
    if not tiles or tile_side is None or int(tile_side) > _NEVER_TILE_FACTOR * view_side or max_tiles < 1:
        return ModeSizes(view_side=view_side, tile_side=None, max_tiles=0)
    return ModeSizes(view_side=view_side, tile_side=int(tile_side), max_tiles=max_tiles)


def _get(size: Any, key: str) -> int:
    value = size.get(key) if isinstance(size, dict) else getattr(size, key, None)
    return int(value or 0)
