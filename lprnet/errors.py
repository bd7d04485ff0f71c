"""Errors the CLI reports as one clear line (no traceback)."""


class LprnetError(Exception):
    """Base class of user-facing errors: bad input, missing assets, unsupported options."""


class AssetNotFoundError(LprnetError, FileNotFoundError):
    """A face-model / UV asset file is missing from the data directory."""


class DataFormatError(LprnetError, ValueError):
    """A data file exists but does not hold what it should (field, shape, dtype)."""
