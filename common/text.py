"""Text typed by people, made fit to search with and to store."""


def clean_text(value) -> str:
    """Words as typed, with spaces tidied and characters no database holds dropped."""
    return " ".join(str(value).replace("\x00", "").split())
