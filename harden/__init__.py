"""harden: walk an MCP server written in Python through additive hardening phases.

Each phase is a set of libcst codemods; `harden apply --phase N` lands its rewrites as one
reviewable commit on a branch of its own and never touches the user's checkout.
"""

__version__ = "0.1.0"
