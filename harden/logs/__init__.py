"""Reading the runtime's logs: `harden report`'s sources, aggregation, verdicts and rendering.

read.py finds harden's lines among anything else; stats.py folds them into bounded counters;
verdicts.py says per control whether its switch can be flipped; render.py prints the result.
"""
