"""Model families, loading, LoRA targets and sizes.

The names below resolve on first use (:mod:`ocr_space.lazy`), so reading the
families (``ocr_space.models.registry``) does not load torch.
"""

from ocr_space.lazy import lazy_exports

_EXPORTS = {
    "ModelFamily": "ocr_space.models.family",
    "LoadedModel": "ocr_space.models.loading",
    "load_model": "ocr_space.models.loading",
    "families": "ocr_space.models.registry",
    "family_for_config": "ocr_space.models.registry",
    "get_family": "ocr_space.models.registry",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = ["LoadedModel", "ModelFamily", "families", "family_for_config", "get_family", "load_model"]
