"""Labelling: the codebook, the append-only label store, the terminal session, agreement and export."""
