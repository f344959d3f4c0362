#!/usr/bin/env bash
# PolicyDesk on a fresh machine, in one command.
#   ./bootstrap.sh run [policydesk run options]   install PolicyDesk and run it (web + worker, SQLite, demo data)
#   ./bootstrap.sh test [pytest options]          install what the tests need and run the whole suite
# Set DATABASE_URL to run against PostgreSQL instead of the embedded SQLite.
set -euo pipefail
cd "$(dirname "$0")"
mode="${1:-run}"; shift || true
VENV="${VENV:-.venv}"
PY="${PYTHON:-python3}"

need_apt() {
  # Debian packages the project needs: gettext for translations, fonts for every script we show,
  # Pango and HarfBuzz for WeasyPrint's PDFs, and for the tests Debian's chromium (Playwright
  # drives it; no downloaded browser works here).
  local pkgs=("gettext" "fonts-noto-core" "fonts-noto-cjk" "libpango-1.0-0" "libpangoft2-1.0-0" "libharfbuzz-subset0")
  if [ "$mode" = "test" ]; then pkgs+=("chromium"); fi
  local missing=()
  for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi
    echo "Installing Debian packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

install_python() {
  local extra="$1"
  if [ ! -x "$VENV/bin/python" ]; then "$PY" -m venv "$VENV"; fi
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".${extra}"
}

case "$mode" in
  run)
    need_apt
    install_python ""
    exec "$VENV/bin/policydesk" run "$@"
    ;;
  test)
    need_apt
    install_python "[test]"
    export POLICYDESK_TESTING=1
    export DATA_DIR="${DATA_DIR:-$(mktemp -d)}"
    echo "== ruff"; "$VENV/bin/ruff" check src tests bench
    echo "== migrations are up to date"; "$VENV/bin/policydesk" makemigrations --check --dry-run >/dev/null
    echo "== translations compile"; (cd src/policydesk && ../../"$VENV"/bin/django-admin compilemessages --ignore='.venv' >/dev/null)
    echo "== tests (${DATABASE_URL:-sqlite})"
    # One worker per core (PYTEST_WORKERS=0 runs in this process, for a debugger).
    exec "$VENV/bin/pytest" -n "${PYTEST_WORKERS:-auto}" "$@"
    ;;
  *)
    echo "usage: $0 run|test" >&2; exit 2;;
esac
