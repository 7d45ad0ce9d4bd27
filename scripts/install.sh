#!/usr/bin/env bash
# Creates .venv and installs idtracker with its test tools. PyTorch is the CPU build
# (torch==2.13.0, from the machine's local wheel store when there is one), installed first so
# no multi-GB CUDA build is pulled in by the dependency resolver.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  .venv/bin/python -m pip install -q torch==2.13.0
fi
.venv/bin/python -m pip install -q -e ".[test,gui,dask]"
