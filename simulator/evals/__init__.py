"""Offline evaluations behind ``drill eval``: labelled data in ``evals/``, metrics as pure functions."""
