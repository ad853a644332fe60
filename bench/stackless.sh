#!/usr/bin/env bash
# Script tasklets against pypy3's stackless, in one run:
#  - channel ping-pong between two script tasklets (bench/stackless/pingpong.py), same source;
#  - peak RSS of N script tasklets parked on one channel (bench/stackless/parked.py), minus
#    the same run with none, per tasklet (/usr/bin/time -v);
#  - the cost of pickling and unpickling a blocked tasklet (bench/stackless/pickle_cost.py).
#
#   bench/stackless.sh [round trips] [parked]      (defaults: 1000000 100000)
#
# Environment: ROUNDS (ping-pong runs of each, alternating; default 5).
#
# Needs: pypy3, /usr/bin/time. Prints a Markdown table.
set -euo pipefail
TRIPS=${1:-1000000}
PARKED=${2:-100000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
(cd "$ROOT" && cargo build --release --quiet)
BIN="$ROOT/target/release/stackmail"
B="$ROOT/bench/stackless"

rate() { "$@" | sed -E 's/.*: ([0-9]+) round trips\/s/\1/'; }
best() { sort -n | tail -1; }
rss() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk '/Maximum resident/ {print $6}'; }

# The two take turns, ROUNDS times (default 5), and each keeps its best: from one run to
# the next the machine's speed moves by half (the same build has measured anywhere from
# 1.6M to 2.7M round trips/s within a minute), and alternating puts both through it.
ROUNDS=${ROUNDS:-5}
PYPYS=()
OURSS=()
for _ in $(seq "$ROUNDS"); do
    PYPYS+=("$(rate pypy3 "$B/pingpong.py" "$TRIPS")")
    OURSS+=("$(rate "$BIN" run "$B/pingpong.py" "$TRIPS")")
done
PYPY=$(printf '%s\n' "${PYPYS[@]}" | best)
OURS=$(printf '%s\n' "${OURSS[@]}" | best)

per() { python3 -c "print(round(($1 - $2) * 1024 / $3))"; }
P0=$(rss pypy3 "$B/parked.py" 0); P1=$(rss pypy3 "$B/parked.py" "$PARKED")
S0=$(rss "$BIN" run "$B/parked.py" 0); S1=$(rss "$BIN" run "$B/parked.py" "$PARKED")

PICKLE=$("$BIN" run "$B/pickle_cost.py" 10000)

echo "| measure | pypy3 stackless | stackmail run | ratio |"
echo "|---|---|---|---|"
echo "| ping-pong, round trips/s (best of $ROUNDS, $TRIPS) | $PYPY | $OURS | $(python3 -c "print(f'{$OURS/$PYPY:.2f}x')") |"
echo "| ping-pong, every round | ${PYPYS[*]} | ${OURSS[*]} | |"
echo "| RSS per parked tasklet ($PARKED), bytes | $(per "$P1" "$P0" "$PARKED") | $(per "$S1" "$S0" "$PARKED") | |"
echo "| pickle a blocked tasklet with its channel | | $PICKLE | |"
