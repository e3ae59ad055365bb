"""Sizes of uploaded files, as the messages about their limits say them."""

MEGABYTE = 1024 * 1024


def megabytes(size: int) -> str:
    """20971520 -> "20", 1572864 -> "1.5": for messages that say a limit in MB."""
    return f"{float(f'{size / MEGABYTE:.3g}'):g}"
