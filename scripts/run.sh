#!/usr/bin/env bash
# One entry point that sets itself up: creates .venv and installs lprnet (pinned, from
# setup.cfg) on first use or when setup.cfg changes, then runs
#   scripts/run.sh test [pytest args]     the test suite (2 pytest-xdist workers)
#   scripts/run.sh <verb> [args]          any `lprnet` verb, e.g. `pipeline`
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${LPRNET_VENV:-.venv}
PYTHON=${PYTHON:-python3}
stamp="$VENV/.lprnet-setup"
want=$(cat setup.cfg pyproject.toml | sha256sum | cut -c1-16)
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "== setting up $VENV (pinned dependencies from setup.cfg; first run takes a few minutes)"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade "pip==24.3.1"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".[dev]"
  echo "$want" > "$stamp"
fi
verb=${1:-pipeline}
[ $# -gt 0 ] && shift
if [ "$verb" = test ]; then
  # two pytest workers, one test file each at a time (LPRNET_TEST_WORKERS=0: one process)
  workers=${LPRNET_TEST_WORKERS:-2}
  dist=()
  [ "$workers" != 0 ] && dist=(-n "$workers" --dist loadfile)
  exec "$VENV/bin/python" -m pytest "${dist[@]}" "$@"
fi
exec "$VENV/bin/lprnet" "$verb" "$@"
