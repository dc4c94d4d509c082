"""Generating FastAPI projects and resources from templates, and keeping them current."""
