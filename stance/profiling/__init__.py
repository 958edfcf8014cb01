"""Profiling: articles in, frame profiles out (one article, a batch, a Dask run), and reports
over many profiles. Sits on top of the model and the shared bottom modules; nothing below imports it."""
