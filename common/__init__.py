"""Helpers every app shares (HTTP, PDF, CSV, uploads, rate limits, text, background
jobs). This package sits below every app and imports none of them."""
