#!/usr/bin/env bash
# Installs everything, checks the layer contract, runs the whole test suite (slow end-to-end included).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
.venv/bin/lint-imports
.venv/bin/python -m pytest -q "$@"
