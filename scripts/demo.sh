#!/usr/bin/env bash
# `make demo`: copy the example MCP server into a fresh git repository, scan it, show the plan,
# land phase 5 on its own branch, and show that branch's diff. The demo repository is left for
# you to explore.
set -euo pipefail

harden="$(pwd)/.venv/bin/harden"
demo="$(mktemp -d "${TMPDIR:-/tmp}/harden-demo.XXXXXX")"
cp -R fixtures/servers/mcp1_fastmcp/. "$demo/"
cd "$demo"
rm -rf __pycache__ .pytest_cache
git init --quiet --initial-branch=main
git add .
git -c user.name="harden demo" -c user.email="demo@localhost" commit --quiet -m "example MCP server"

# Bold command lines on a terminal only: a log or a pipe gets no raw escape codes.
bold="" plain=""
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m' plain=$'\033[0m'; fi
step() { printf '\n%s$ %s%s\n' "$bold" "$*" "$plain"; }

step harden scan .
"$harden" scan . || true

step harden plan
"$harden" plan

step harden apply --phase 5
"$harden" apply --phase 5

# The vendored runtime (harden_runtime.py, standard library only) is a new file in the branch;
# the diff below shows what changed in the server itself.
step "git diff main...harden/phase-5-commands -- ':!harden_runtime.py'"
git --no-pager diff --stat main...harden/phase-5-commands
git --no-pager diff main...harden/phase-5-commands -- . ':!harden_runtime.py'

step git status --short
git status --short
printf '\nThe demo repository is %s (your checkout there is untouched: still on main).\n' "$demo"
