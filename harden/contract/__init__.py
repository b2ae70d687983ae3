"""`harden contract`: record a live MCP server's contract and verify a changed server keeps it.

The modules, each with one job: `model` (the contract file and the calls in it), `cases` (the
cases file a user writes), `generate` (calls drawn from read-only tools' input schemas),
`normalise` (the named rules that make volatile text comparable), `compare` (recorded against
live: differences and phase 5's expected changes), `server` (the server process and its
diagnosis), `client` (the SDK's client session: one snapshot of a server), `worktrees` (the base
and a branch checked out side by side), `verified` (which branches passed, for `harden plan`) and
`render` (rich, JSON and Markdown reports).

Only `client` and `generate` import the optional `mcp` and `hypothesis-jsonschema` packages; the
command imports this package lazily, so no other command pays for them.
"""
