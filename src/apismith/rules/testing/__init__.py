"""Testing rules: one module per rule, named after what it finds."""
