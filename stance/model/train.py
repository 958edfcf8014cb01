"""Training, start to finish: fit the pipeline on all the labels, evaluate it honestly on passages
it did not see, and save the bundle with its report and model card."""

from __future__ import annotations

import time
from pathlib import Path

from ..codebook import Codebook
from ..paths import check_writable
from .adapt import reference_mean
from .bundle import Bundle, save_bundle
from .card import model_warnings, write_model_card
from .data import TrainingSet
from .evaluate import evaluate_training_set
from .pipeline import TrainConfig, fit_pipeline


def train_model(data: TrainingSet, codebook: Codebook, out_dir: Path, config: TrainConfig,
                evaluate: bool = True, progress=None) -> Bundle:
    """Fit on all of `data`, evaluate by grouped CV / held-out split / leave-one-writer-out, save."""
    check_writable(out_dir, "models you train", "pass --name NAME (saved in your project's models/) or --out DIR")
    say = progress or (lambda msg: None)
    t0 = time.perf_counter()
    say(f"training on {len(data)} passages from {len(set(data.article_ids))} articles ({config.features} features)")
    pipe = fit_pipeline(data, config)
    train_seconds = time.perf_counter() - t0
    mean = reference_mean(pipe, data, config)
    report = evaluate_training_set(data, config, out_dir, progress=say) if evaluate else {}
    say(f"fitted in {train_seconds:.1f}s")
    warnings = model_warnings(data.frames, data.counts(), report)
    bundle = save_bundle(pipe, data, codebook, config, out_dir, report.get("summary", {}), train_seconds, warnings,
                         feature_mean=mean)
    write_model_card(bundle, report)
    return bundle
