#!/usr/bin/env bash
# Install what is needed, load the synthetic demo town on first start, start the dashboard.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements.txt
.venv/bin/python -m geo demo --if-empty
exec .venv/bin/streamlit run app.py "$@"
