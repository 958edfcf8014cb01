"""The command line: one thin module per command group. Each command parses options, calls one
library function and turns `StanceError` into a one-line message and an exit code."""
