#!/usr/bin/env bash
# Install what is needed, load the synthetic demo town on first start, start the dashboard.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements.txt
.venv/bin/python -m geo demo --if-empty
# a basemap file the force holds (NESTWATCH_BASEMAP): copied (MBTiles: converted) for serving before the
# first map asks for it; a file that cannot be used is reported here and on the page, and the app starts anyway
if [ -n "${NESTWATCH_BASEMAP:-}" ]; then
  .venv/bin/python -m scripts.prepare_basemap || true
fi
exec .venv/bin/streamlit run app.py "$@"
