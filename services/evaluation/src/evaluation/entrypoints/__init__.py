"""HTTP entry points of the evaluation service."""
