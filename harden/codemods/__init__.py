"""harden's codemods: one module per codemod (a libcst planner), the modules they share, the
metadata and examples of each in `catalog`, and the classes in `registry`.

It imports nothing, so that reading `catalog` or `info` never loads libcst or a codemod.
"""
