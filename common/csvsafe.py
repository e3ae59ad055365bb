"""Cells for CSV exports that a spreadsheet will not run (CSV or formula injection)."""

# A spreadsheet treats a cell starting with one of these as a formula (or, for tab
# and carriage return, may strip them and then do so): such cells are neutralised.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    """The cell as text, with a leading apostrophe if a spreadsheet could take it for a
    formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text
