"""DeepSeek-OCR-2: ``config.py`` builds its configs and tiny processor, ``family.py`` its :class:`ModelFamily`."""
