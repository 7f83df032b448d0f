"""Model families, loading, LoRA targets and sizes."""

from ocr_space.models.loading import LoadedModel, load_model
from ocr_space.models.registry import ModelFamily, families, family_for_config, get_family

__all__ = ["LoadedModel", "ModelFamily", "families", "family_for_config", "get_family", "load_model"]
