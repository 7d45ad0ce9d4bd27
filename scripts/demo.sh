#!/usr/bin/env bash
# Installs everything, then idtrackerai_test: renders a short video of 4 fish with ground truth,
# tracks it with identities and prints the time per stage and the accuracy. Output in demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
.venv/bin/idtrackerai_test --output demo --animals 4 --frames 200 --seed 1
echo "Trajectories in demo/session_idtrackerai_test/trajectories/"
