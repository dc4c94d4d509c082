"""Analyses shared by rules: taint flow from requests to sinks, and calls that block."""
