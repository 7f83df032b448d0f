"""Helpers the test folders share: example data, dataset builders, the local Hub stand-in, the live app launcher."""
