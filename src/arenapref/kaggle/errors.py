"""The kit's one error type."""


class KitError(Exception):
    """Packing or checking a kit failed (pip could not resolve, a file is missing, a hash differs, a check failed)."""
