#!/usr/bin/env bash
# Runs the runtime benchmarks and their peers in one go, so every figure comes from the same
# machine and the same run. Peers: `pip install greenlet gevent`, `apt-get install pypy3`.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "## machine"
uname -srm
grep -m1 'model name' /proc/cpuinfo || true
nproc
echo "## peers"
python3 bench/greenlet_pingpong.py 1000000
python3 bench/gevent_channel.py 200000
pypy3 bench/stackless_pingpong.py 1000000
python3 bench/parked_rss.py greenlet
pypy3 bench/parked_rss.py stackless
echo "## stackmail"
cargo bench --bench parked_rss 2>/dev/null | grep -v '^$'
cargo bench --bench rt 2>/dev/null | grep -E '^[a-z].*|time:'
