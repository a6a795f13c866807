#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs Rust and Python tests.
# Usage: scripts/test.sh            (CI runs exactly this)
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v redis-server >/dev/null || need_apt+=(redis-server)
command -v redis-cli >/dev/null || need_apt+=(redis-tools)
if [ ${#need_apt[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
# The packaged redis-server starts a system instance on 6379; tests never use it, and
# stopping it keeps the machine quiet.
if command -v systemctl >/dev/null 2>&1; then systemctl stop redis-server >/dev/null 2>&1 || true; fi
python3 -c "import redis, pytest" 2>/dev/null || python3 -m pip install -q redis pytest

echo "== build"
cargo build --release --workspace
# `rhea-bin` integration tests and the Python suite use the release binary.
export RHEA_BIN="$PWD/target/release/rhea"

echo "== cargo test"
# One test thread: several integration tests start real servers on "free" ports, and
# two tests racing for the same port make each other fail.
cargo test --release --workspace -- --test-threads=1

echo "== python tests"
cd tests/python
python3 -m pytest -q -p no:cacheprovider "$@"
