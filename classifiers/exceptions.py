"""Errors raised by the classifiers package, with bilingual (zh-CN / English) messages."""

from __future__ import annotations


class PrescreenError(Exception):
    """Base class for pre-screener errors; str() is a message fit for an operator."""


class DataError(PrescreenError):
    """Training or evaluation data is missing, malformed or empty."""


class ModelFileError(PrescreenError):
    """A model file is missing, unreadable or not a pre-screener model."""


class ModelVersionError(ModelFileError):
    """A model file was written by an incompatible format, scikit-learn or jieba version."""
