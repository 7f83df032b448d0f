"""Datasets: from the user's images and transcriptions (or domain text) to clean image+text pairs."""
