#!/usr/bin/env bash
# `make demo`: copy the example MCP server into a fresh git repository, scan it, land phase 5 on
# its own branch, and show that branch's diff. The demo repository is left for you to explore.
set -euo pipefail

harden="$(pwd)/.venv/bin/harden"
demo="$(mktemp -d "${TMPDIR:-/tmp}/harden-demo.XXXXXX")"
cp -R fixtures/servers/mcp1_fastmcp/. "$demo/"
cd "$demo"
rm -rf __pycache__ .pytest_cache
git init --quiet --initial-branch=main
git add .
git -c user.name="harden demo" -c user.email="demo@localhost" commit --quiet -m "example MCP server"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

step harden scan .
"$harden" scan . || true

step harden apply --phase 5
"$harden" apply --phase 5

step git diff main...harden/phase-5-commands
git --no-pager diff --stat main...harden/phase-5-commands
git --no-pager diff main...harden/phase-5-commands

step git status --short
git status --short
printf '\nThe demo repository is %s (your checkout there is untouched: still on main).\n' "$demo"
