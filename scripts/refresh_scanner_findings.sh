#!/usr/bin/env bash
# Regenerate the real scanners' output for the example servers:
#
#   fixtures/findings/bandit.json    bandit -r fixtures/servers -f json
#   fixtures/findings/bandit.sarif   bandit -r fixtures/servers -f sarif
#   fixtures/findings/ruff.json      ruff check --select S --output-format json
#   fixtures/findings/ruff.sarif     ruff check --select S --output-format sarif
#   fixtures/findings/semgrep.sarif  Semgrep OSS, offline, with the registry rules
#                                    copied into fixtures/findings/semgrep-rules.yml
#
# The scanners are not project dependencies; they live in their own venv:
#
#   python3 -m venv /tmp/scan-venv
#   /tmp/scan-venv/bin/pip install 'bandit[sarif]' ruff semgrep
#
# Usage (from anywhere; paths in the output are relative to the repo root):
#
#   scripts/refresh_scanner_findings.sh
#   SCANNERS=/path/to/venv/bin scripts/refresh_scanner_findings.sh
#
# Scanners exit non-zero when they find something; that is expected here and
# does not stop the script. A scanner that fails to produce its file does.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

SCANNERS="${SCANNERS:-/tmp/scan-venv/bin}"
TARGET="fixtures/servers"
OUT="fixtures/findings"
RULES="$OUT/semgrep-rules.yml"

for tool in bandit ruff semgrep; do
    if [[ ! -x "$SCANNERS/$tool" ]]; then
        echo "error: $SCANNERS/$tool not found." >&2
        echo "Create the scanner venv with:" >&2
        echo "  python3 -m venv /tmp/scan-venv && /tmp/scan-venv/bin/pip install 'bandit[sarif]' ruff semgrep" >&2
        echo "or point SCANNERS at a directory holding bandit, ruff and semgrep." >&2
        exit 2
    fi
done

mkdir -p "$OUT"

# run_scanner OUTFILE COMMAND...: run a scanner, accept "found issues" exit codes
# (bandit and ruff exit 1), fail on anything else or on an empty result.
run_scanner() {
    local outfile="$1"
    shift
    local rc=0
    "$@" || rc=$?
    if [[ $rc -gt 1 ]]; then
        echo "error: '$*' exited with status $rc" >&2
        exit "$rc"
    fi
    if [[ ! -s "$outfile" ]]; then
        echo "error: '$*' wrote nothing to $outfile" >&2
        exit 1
    fi
    echo "wrote $outfile"
}

# Drop any cached bytecode so no scanner sees more than the sources.
find "$TARGET" -name __pycache__ -type d -prune -exec rm -rf {} +

run_scanner "$OUT/bandit.json" \
    "$SCANNERS/bandit" -r "$TARGET" -f json -o "$OUT/bandit.json" -q
run_scanner "$OUT/bandit.sarif" \
    "$SCANNERS/bandit" -r "$TARGET" -f sarif -o "$OUT/bandit.sarif" -q

# --isolated: the repo's own ruff settings (which exclude fixtures/) must not apply.
run_scanner "$OUT/ruff.json" \
    "$SCANNERS/ruff" check --isolated --select S --output-format json --no-cache \
    --output-file "$OUT/ruff.json" "$TARGET"
run_scanner "$OUT/ruff.sarif" \
    "$SCANNERS/ruff" check --isolated --select S --output-format sarif --no-cache \
    --output-file "$OUT/ruff.sarif" "$TARGET"

# Offline: local rules file, no metrics, no version check, no registry login.
run_scanner "$OUT/semgrep.sarif" \
    "$SCANNERS/semgrep" scan --metrics off --disable-version-check --quiet \
    --config "$RULES" --sarif --output "$OUT/semgrep.sarif" "$TARGET"

echo "done: scanner findings for $TARGET are in $OUT/"
