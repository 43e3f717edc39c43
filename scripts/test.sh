#!/usr/bin/env bash
# Install what is needed and run the whole test suite, on SQLite and then on PostgreSQL (CI runs exactly this).
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
# types: geo/ and dashboard/ ([tool.mypy] in pyproject.toml names the files and each third-party exception)
.venv/bin/mypy
# Hypothesis: the same examples on every CI run, so a red run can be rerun as it was (profiles in tests/conftest.py)
export NESTWATCH_HYPOTHESIS_PROFILE="${NESTWATCH_HYPOTHESIS_PROFILE:-ci}"
# Both passes print their 25 slowest tests (where the next minute of CI time is) and keep no .pytest_cache.
PYTEST_OPTIONS=(--durations=25 -p no:cacheprovider)
# Two workers (pytest-xdist; NESTWATCH_TEST_WORKERS=0 runs in one process), each taking whole modules
# (--dist loadscope: a module's server or demo store is made once), the longest modules first (tests/conftest.py).
WORKERS=(-n "${NESTWATCH_TEST_WORKERS:-2}" --dist loadscope)
if [ "${NESTWATCH_TEST_WORKERS:-2}" = 0 ]; then WORKERS=(-p no:xdist); fi
# 1. the whole suite on the embedded SQLite store
.venv/bin/python -m pytest "${WORKERS[@]}" "${PYTEST_OPTIONS[@]}" "$@"
# 2. the whole suite again on PostgreSQL 15 + PostGIS 3: a throw-away cluster on loopback (scripts/pg.sh),
#    every test's store a fresh database in it. NESTWATCH_BACKENDS=sqlite skips this run.
case " ${NESTWATCH_BACKENDS:-sqlite postgresql} " in
  *" postgresql "*)
    if [ "$(id -u)" = 0 ]; then bash scripts/pg.sh install; fi
    if [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then
      echo "PostgreSQL 15 is not installed (run as root, or apt-get install postgresql-15 postgresql-15-postgis-3)" >&2
      exit 1
    fi
    export NESTWATCH_PG_DIR="${NESTWATCH_PG_DIR:-$(mktemp -d /tmp/nestwatch-pg.XXXXXX)}"
    export NESTWATCH_PG_PORT="${NESTWATCH_PG_PORT:-$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
    url="$(bash scripts/pg.sh start)"
    trap 'bash scripts/pg.sh stop' EXIT
    # The browser tests ran in pass 1: what they check (pages, downloads, requests, sessions) is the browser's
    # side and the same on either store, while a Chromium session costs minutes on a busy machine. Every
    # store path they touch is covered here by the AppTest and store tests.
    # Tests that never open a store on the cluster ran, the same, in pass 1 and are left out (tests/conftest.py).
    export NESTWATCH_TEST_DATABASE_URL="$url" NESTWATCH_TEST_PG_DATA="$NESTWATCH_PG_DIR/data"
    .venv/bin/python -m pytest -m "not browser and not serial" "${WORKERS[@]}" "${PYTEST_OPTIONS[@]}" "$@"
    # then, on their own, the tests that restart the cluster the others were using (exit 5: none selected)
    status=0
    .venv/bin/python -m pytest -m "serial and not browser" -p no:xdist "${PYTEST_OPTIONS[@]}" "$@" || status=$?
    if [ "$status" != 0 ] && [ "$status" != 5 ]; then exit "$status"; fi
    ;;
esac
