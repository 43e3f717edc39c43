#!/usr/bin/env bash
# Install what is needed and run the whole test suite (CI runs exactly this).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements-dev.txt
# End-to-end tests drive Debian's Chromium (Playwright's own download is not used);
# install it (and poppler-utils' pdftoppm, which renders the report PDF) when we can, otherwise
# those tests skip with a clear reason.
if ! { command -v chromium && command -v pdftoppm; } >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq chromium poppler-utils >/dev/null) || echo "note: could not install chromium/poppler-utils; browser and PDF rendering tests will skip" >&2
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/python -m pytest "$@"
