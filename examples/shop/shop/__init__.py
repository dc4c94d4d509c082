"""Acme Shop: the storefront and back-office API."""

__version__ = "1.4.0"
