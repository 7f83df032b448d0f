"""DeepSeek-OCR (v1) on transformers' Unlimited-OCR classes, one job per module:

- ``family.py``: the :class:`~ocr_space.models.family.ModelFamily` (modes, LoRA targets, which checkpoints are v1);
- ``config.py``: v1's configs (full attention), full size and tiny;
- ``images.py``: a PIL image processor, so v1 runs without torchvision;
- ``convert.py``: official v1 folders <-> native folders, and the conversion cache ``load_model`` uses;
- ``layout.py``: which official weight becomes which native weight (the renaming rules ``convert.py`` applies).
"""
