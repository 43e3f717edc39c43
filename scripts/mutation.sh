#!/usr/bin/env bash
# On-demand mutation testing of ONE module with mutmut (docs/MUTATION.md); not part of CI.
#
# Usage: bash scripts/mutation.sh [--min PERCENT] [--only F,G] [--jobs N] [--keep] geo/<stage>/<module>.py [tests ...]
#
#   tests      pytest paths or node ids to run against each mutant; default: the test file that mirrors the
#              module (geo/plan/priority.py -> tests/plan/test_priority.py, geo/demo/__init__.py -> tests/test_demo.py)
#   --min P    exit 1 when fewer than P % of the mutants are killed (default: always exit 0, it is a report)
#   --only F,G mutate only these functions or methods of the module (to recheck survivors quickly);
#              the figures then cover those functions alone
#   --jobs N   mutants tested at once (default 1: the machine's 2 cores are shared)
#   --keep     keep the throw-away working copy and print where it is (to rerun or `mutmut show` by hand)
#
# Each run copies the tree (git's tracked and untracked-not-ignored files, so work in progress is included)
# into a fresh temporary directory, adds the module and the tests to that copy's [tool.mutmut] section and
# runs mutmut there: runs on different modules at the same time never share mutants/ or a cache, and
# nothing is written into the repository. Exit 2 when the run itself could not be made (clean tests fail...).
set -euo pipefail
# Everything runs inside main, which bash reads whole before running: editing (or updating) this file
# while a run is under way cannot change what that run executes.
main() {
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

usage() { sed -n '4,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

min=""
only=""
jobs=1
keep=0
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --min) [ $# -ge 2 ] || usage; min="$2"; shift 2 ;;
    --min=*) min="${1#--min=}"; shift ;;
    --only) [ $# -ge 2 ] || usage; only="$2"; shift 2 ;;
    --only=*) only="${1#--only=}"; shift ;;
    --jobs) [ $# -ge 2 ] || usage; jobs="$2"; shift 2 ;;
    --jobs=*) jobs="${1#--jobs=}"; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) usage ;;
    -*) echo "unknown option: $1" >&2; usage ;;
    *) args+=("$1"); shift ;;
  esac
done
[ ${#args[@]} -ge 1 ] || usage
module="${args[0]#./}"
tests=("${args[@]:1}")

case "$module" in
  geo/*.py) ;;
  *) echo "mutation.sh mutates one module of geo/ (a path like geo/plan/priority.py), not: $module" >&2; exit 2 ;;
esac
[ -f "$module" ] || { echo "no such module: $module" >&2; exit 2; }
if [ -n "$min" ] && ! [[ "$min" =~ ^[0-9]+([.][0-9]+)?$ ]]; then
  echo "--min takes a percentage such as 85, not: $min" >&2; exit 2
fi
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || { echo "--jobs takes a whole number of at least 1, not: $jobs" >&2; exit 2; }
# mutmut names a mutant <module>.x_<function>__mutmut_<n>, or <module>.xǁ<Class>ǁ<method>__mutmut_<n>
dotted="${module%.py}"; dotted="${dotted//\//.}"; dotted="${dotted%.__init__}"
patterns=()
if [ -n "$only" ]; then
  IFS=',' read -r -a names <<<"$only"
  for f in "${names[@]}"; do
    [[ "$f" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || { echo "--only takes function names separated by commas, not: $f" >&2; exit 2; }
    grep -Eq "^[[:space:]]*(async[[:space:]]+)?def[[:space:]]+${f}[[:space:]]*\(" "$module" \
      || { echo "$module has no function or method called $f" >&2; exit 2; }
    patterns+=("${dotted}.x_${f}__mutmut_*" "${dotted}.xǁ*ǁ${f}__mutmut_*")
  done
fi

if [ ${#tests[@]} -eq 0 ]; then
  rel="${module#geo/}"
  name="$(basename "$rel" .py)"
  name="${name#_}"
  stage="$(dirname "$rel")"
  if [ "$stage" = "." ]; then tests=("tests/test_${name}.py"); else tests=("tests/${stage}/test_${name}.py"); fi
fi
for t in "${tests[@]}"; do
  [ -e "${t%%::*}" ] || { echo "no such test path: ${t%%::*} (name the tests after the module)" >&2; exit 2; }
done

# mutmut comes from requirements-mutation.txt, installed into the project's .venv the way scripts/setup.sh does
PY="$ROOT/.venv/bin/python"
if ! "$PY" -c 'import importlib.metadata as m, sys; sys.exit(m.version("mutmut") != "3.8.1")' 2>/dev/null; then
  bash scripts/setup.sh requirements-mutation.txt
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/nestwatch-mutation.XXXXXX")"
cleanup() {
  if [ "$keep" = 1 ]; then echo "working copy kept: $work (cd there; $ROOT/.venv/bin/mutmut show <name>)"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# a private copy of the tree: tracked files plus new ones not ignored (another developer's work in progress
# is what it is at this moment); .venv, caches and generated data stay behind
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git -C "$ROOT" ls-files -z --cached --others --exclude-standard \
    | tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$work"
else
  tar --exclude=./.venv --exclude=./.git --exclude=./mutants --exclude=./node_modules -cf - . | tar -xf - -C "$work"
fi

# the run's own settings go right under the [tool.mutmut] header of the copy's pyproject.toml
"$PY" - "$work/pyproject.toml" "$module" "${tests[@]}" <<'PYEOF'
import json
import sys
import tomllib
from pathlib import Path

path, module, tests = Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
text = path.read_text("utf-8")
header = "[tool.mutmut]\n"
if header not in text:
    sys.exit("pyproject.toml has no [tool.mutmut] section")
settings = f"only_mutate = {json.dumps([module])}\npytest_add_cli_args_test_selection = {json.dumps(tests)}\n"
text = text.replace(header, header + settings, 1)
tomllib.loads(text)  # still valid TOML (fails if the section already sets these keys)
path.write_text(text, "utf-8")
PYEOF

echo "mutating $module${only:+ (only $only)} against ${tests[*]} ($jobs at a time; working copy $work)"
started=$(date +%s)
log="$work/mutmut.log"
# Hypothesis tries the same examples on every run (the "ci" profile in tests/conftest.py): a kill is the code's
set +e
(cd "$work" && NESTWATCH_HYPOTHESIS_PROFILE=ci PYTHONDONTWRITEBYTECODE=1 "$ROOT/.venv/bin/mutmut" run --max-children "$jobs" "${patterns[@]}") >"$log" 2>&1
status=$?
set -e
elapsed=$(( $(date +%s) - started ))
if [ "$status" -ne 0 ]; then
  # mutmut's output is a spinner; its last lines say what went wrong (clean tests failing, no test covering...)
  tr '\r' '\n' <"$log" | grep -v '^\s*$' | tail -40 >&2
  echo "mutmut could not complete the run (exit $status) after ${elapsed}s; nothing was measured" >&2
  exit 2
fi

set +e
(cd "$work" && "$PY" - "$module" "$elapsed" "${min:-}" "${patterns[@]}" <<'PYEOF'
"""Summarise one mutmut run: counts, kill rate and every mutant the tests let through, with its diff."""

import ast
import fnmatch
import functools
import os
import sys
import traceback
from pathlib import Path


def _broken(kind, value, tb):  # a report that cannot be made is exit 2, never a "below the minimum" 1
    traceback.print_exception(kind, value, tb)
    os._exit(2)


sys.excepthook = _broken

from mutmut.mutation.data import SourceFileMutationData
from mutmut.mutation.diff_apply import get_diff_for_mutant
from mutmut.stats import status_by_exit_code
from mutmut.utils.format_utils import orig_function_and_class_names_from_key

module, elapsed, minimum, patterns = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
data = SourceFileMutationData(path=Path(module))
data.load()
statuses = {
    key: status_by_exit_code[code]
    for key, code in data.exit_code_by_key.items()
    if not patterns or any(fnmatch.fnmatchcase(key, p) for p in patterns)
}

# a timeout (the mutant made the tests loop) and a crash of the test process both mean the tests noticed
DETECTED = {"killed", "timeout", "segfault", "caught by type check"}
counted = {k: s for k, s in statuses.items() if s != "skipped"}
total = len(counted)
killed = sum(s == "killed" for s in counted.values())
timeout = sum(s == "timeout" for s in counted.values())
crashed = sum(s == "segfault" for s in counted.values())
survived = sum(s == "survived" for s in counted.values())
no_tests = sum(s == "no tests" for s in counted.values())
other = total - killed - timeout - crashed - survived - no_tests
detected = sum(s in DETECTED for s in counted.values())
rate = 100.0 * detected / total if total else 0.0

source = Path(module).read_text("utf-8").splitlines()
spans: dict[tuple[str | None, str], tuple[int, int]] = {}
for node in ast.walk(ast.parse("\n".join(source))):
    if isinstance(node, ast.ClassDef):
        for item in node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                spans[(node.name, item.name)] = (item.lineno, item.end_lineno or item.lineno)
for node in ast.parse("\n".join(source)).body:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        first = min([node.lineno] + [d.lineno for d in node.decorator_list])
        spans[(None, node.name)] = (first, node.end_lineno or node.lineno)


@functools.cache
def located(key: str) -> tuple[str, int | None, tuple[str, ...], tuple[str, ...]]:
    """The function, the file line and the original and mutated lines of one mutant."""
    function, cls = orig_function_and_class_names_from_key(key)
    diff = get_diff_for_mutant(key, path=module).splitlines()
    removed = [line[1:] for line in diff if line.startswith("-") and not line.startswith("---")]
    added = [line[1:] for line in diff if line.startswith("+") and not line.startswith("+++")]
    lineno = None
    start, end = spans.get((cls, function), (1, len(source)))
    wanted = (removed or [line[1:] for line in diff if line.startswith(" ")] or [""])[0].strip()
    for number in range(start, end + 1):
        if source[number - 1].strip() == wanted:
            lineno = number
            break
    name = f"{cls}.{function}" if cls else function
    return name, lineno, tuple(removed), tuple(added)


print()
print(f"mutation report: {module}  ({elapsed} s)" + ("  [only the functions asked for]" if patterns else ""))
print(f"  mutants total  {total}")
print(f"  killed         {killed}")
print(f"  survived       {survived}")
print(f"  timeout        {timeout}")
if crashed:
    print(f"  crashed        {crashed}   (the test process died: counted as killed)")
if no_tests:
    print(f"  no tests       {no_tests}   (no selected test runs this code: counted as survived)")
if other:
    print(f"  other          {other}   (suspicious / not checked: counted as survived)")
print(f"  kill rate      {rate:.1f} %   (killed + timeout + crashed) / total")

undetected = sorted((k for k, s in counted.items() if s not in DETECTED), key=lambda k: (located(k)[1] or 0, k))
if undetected:
    print()
    print(f"survivors ({len(undetected)}): judge each one: a missing test, or an equivalent mutant (say why)")
for key in undetected:
    name, lineno, removed, added = located(key)
    where = f"{module}:{lineno}" if lineno else module
    print()
    print(f"  {where}  {name}  [{statuses[key]}]  {key.rpartition('.')[2]}")
    for line in removed:
        print(f"    - {line.strip()}")
    for line in added:
        print(f"    + {line.strip()}")

if minimum:
    if rate < float(minimum):
        print(f"\nFAIL: {rate:.1f} % killed is below the minimum of {minimum} %")
        sys.exit(1)
    print(f"\nOK: {rate:.1f} % killed, at least {minimum} %")
PYEOF
)
result=$?
set -e
exit "$result"
}

main "$@"
exit
