"""stance: measure how technology coverage is framed.

Label passages against a codebook, train a lightweight model, and profile articles by the
frames they push. The Python API mirrors the CLI:

    import stance
    model = stance.load_model()             # the shipped default model
    model.tag(["Passage one ...", "Passage two ..."])
"""

__version__ = "0.1.0"


def load_model(path=None, **kwargs):
    """Load a trained model bundle (the shipped default when `path` is None)."""
    from .model.bundle import load_bundle

    return load_bundle(path, **kwargs)
