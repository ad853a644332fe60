#!/usr/bin/env bash
# What a filter pipeline costs: the same smtp-source load against Postfix's smtp-sink (the
# ceiling), `stackmail serve` with no filters, `stackmail serve` with a 3-stage pipeline
# (filters/header_sanity.py, filters/spam_score.py, filters/block_attachments.py, phase data),
# and Haraka with a plugin doing spam_score's work and a queue plugin that fsyncs each message
# to a file before the 250 (bench/haraka/). stackmail is timed until every message is in the
# Maildir; Haraka until smtp-source is done (its 250 comes after the fsync).
#
#   bench/filters.sh [sessions] [messages] [size]      (defaults: 50 20000 5000)
#
# BENCH_DIR=/dev/shm puts the spools, Maildirs and Haraka's queue on tmpfs (fsync free).
# STAGES: the pipeline's scripts, relative to the repository (default: the three above).
# HARAKA_NODES: Haraka worker processes (default 2, one per core; stackmail runs one
# scheduler thread per core). LOG_DIR keeps the servers' logs (RUST_LOG=warn, Haraka at warn).
# Needs: postfix (smtp-source, smtp-sink), python3, node >= 20 and npm (Haraka is installed
# into bench/haraka/node_modules on the first run). Prints a Markdown table.
set -euo pipefail
SESSIONS=${1:-50}
MESSAGES=${2:-20000}
SIZE=${3:-5000}
HARAKA_NODES=${HARAKA_NODES:-2}
STAGES=${STAGES:-filters/header_sanity.py filters/spam_score.py filters/block_attachments.py}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d -p "${BENCH_DIR:-${TMPDIR:-/tmp}}")
LOG_DIR=${LOG_DIR:-$WORK/logs}
mkdir -p "$LOG_DIR"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 400); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 not up" >&2; return 1; }
now() { date +%s.%N; }
rate() { python3 -c "print(round($MESSAGES/($2-$1)))"; }
count() { find "$1" -type f 2>/dev/null | wc -l; }
# Waits until directory $1 holds $MESSAGES files (at most 300 s).
wait_files() {
    local deadline=$(($(date +%s) + 300))
    while [ "$(count "$1")" -lt "$MESSAGES" ]; do
        if [ "$(date +%s)" -gt "$deadline" ]; then
            echo "only $(count "$1") of $MESSAGES messages arrived in $1" >&2
            return 1
        fi
        sleep 0.05
    done
}
load() { smtp-source -s "$SESSIONS" -m "$MESSAGES" -l "$SIZE" -f bench@source.test -t user@localhost 127.0.0.1:"$1"; }

(cd "$ROOT" && cargo build --release --quiet)
BIN="$ROOT/target/release/stackmail"
if [ ! -x "$ROOT/bench/haraka/node_modules/Haraka/bin/haraka" ]; then
    (cd "$ROOT/bench/haraka" && npm install --no-audit --no-fund --loglevel=error)
fi

# (a) smtp-sink: the ceiling.
SINK_PORT=$(free_port)
smtp-sink -u nobody 127.0.0.1:"$SINK_PORT" 1024 &
SINK=$!
PIDS+=($SINK)
wait_port "$SINK_PORT"
t0=$(now); load "$SINK_PORT"; t1=$(now)
SINK_RATE=$(rate "$t0" "$t1")
kill "$SINK"; wait "$SINK" 2>/dev/null || true

# (b), (c) stackmail: 250 only after the spool fsync; timed until every message is in the
# Maildir. $1 names the run, $2 is appended to the config ([[filter]] tables or nothing);
# sets ACCEPT and DELIVER (msg/s).
run_stackmail() {
    local name=$1 dir="$WORK/$1" port server t0 t1 t2
    port=$(free_port)
    mkdir -p "$dir"
    cat > "$dir/stackmail.toml" <<CONF
[server]
listen = ["127.0.0.1:$port"]
max_connections = 2000
max_connections_per_ip = 2000
max_message_size = 10485760
[spool]
dir = "$dir/spool"
[local]
domains = ["localhost"]
maildir = "$dir/mail/{user}"
$2
CONF
    "$BIN" check --config "$dir/stackmail.toml" >/dev/null
    RUST_LOG=warn "$BIN" serve --config "$dir/stackmail.toml" 2> "$LOG_DIR/$name.log" &
    server=$!
    PIDS+=($server)
    wait_port "$port"
    t0=$(now); load "$port"; t1=$(now)
    wait_files "$dir/mail/user/new"
    t2=$(now)
    kill "$server"; wait "$server" 2>/dev/null || true
    ACCEPT=$(rate "$t0" "$t1")
    DELIVER=$(rate "$t0" "$t2")
}
run_stackmail plain ""
PLAIN_ACCEPT=$ACCEPT PLAIN_RATE=$DELIVER
PIPELINE=""
for stage in $STAGES; do
    PIPELINE+=$'\n[[filter]]\n'"script = \"$ROOT/$stage\""$'\nphases = ["data"]\n'
done
run_stackmail pipeline "$PIPELINE"
PIPE_ACCEPT=$ACCEPT PIPE_RATE=$DELIVER
# The stages ran: a delivered message carries spam_score's header.
SAMPLE=$(find "$WORK/pipeline/mail/user/new" -type f -print -quit)
case "$STAGES" in *spam_score*)
    grep -q '^X-Spam-Score: 0.0' "$SAMPLE" || { echo "no X-Spam-Score in $SAMPLE" >&2; exit 1; } ;;
esac

# (d) Haraka: no_rdns, rcpt_to.in_host_list, spam_score, queue/fsync_file (250 after fsync).
H="$WORK/haraka"
mkdir -p "$H"
# Haraka's default config (connection.ini and the rest), then ours over it.
cp -r "$ROOT/bench/haraka/node_modules/Haraka/config" "$H/"
cp -r "$ROOT/bench/haraka/config" "$ROOT/bench/haraka/plugins" "$H/"
H_PORT=$(free_port)
printf 'listen=127.0.0.1:%s\nnodes=%s\n' "$H_PORT" "$HARAKA_NODES" > "$H/config/smtp.ini"
HARAKA_QUEUE_DIR="$WORK/haraka-queue" node "$ROOT/bench/haraka/node_modules/Haraka/bin/haraka" -c "$H" \
    > "$LOG_DIR/haraka.log" 2>&1 &
HARAKA=$!
PIDS+=($HARAKA)
wait_port "$H_PORT"
t0=$(now); load "$H_PORT"; t1=$(now)
wait_files "$WORK/haraka-queue/new"
HARAKA_RATE=$(rate "$t0" "$t1")
SAMPLE=$(find "$WORK/haraka-queue/new" -type f -print -quit)
grep -q '^X-Spam-Score: 0.0' "$SAMPLE" || { echo "no X-Spam-Score in $SAMPLE" >&2; exit 1; }
kill "$HARAKA"; wait "$HARAKA" 2>/dev/null || true

COST=$(python3 -c "print(round(100*(1-$PIPE_RATE/$PLAIN_RATE), 1))")
VS_HARAKA=$(python3 -c "print(round($PIPE_RATE/$HARAKA_RATE, 2))")
PROBLEMS=$(cat "$LOG_DIR"/plain.log "$LOG_DIR"/pipeline.log | grep -ciE 'failed|raised|error' || true)

echo
echo "| what | msg/s |"
echo "| --- | --- |"
echo "| load | smtp-source -s $SESSIONS -m $MESSAGES -l $SIZE |"
echo "| smtp-sink (discards) | $SINK_RATE |"
echo "| stackmail, no filters (accepted / delivered to Maildir) | $PLAIN_ACCEPT / $PLAIN_RATE |"
echo "| stackmail, pipeline of $(echo $STAGES | wc -w) stage(s) (accepted / delivered to Maildir) | $PIPE_ACCEPT / $PIPE_RATE |"
echo "| pipeline cost, % of no-filter delivered throughput | $COST % |"
echo "| Haraka $HARAKA_NODES process(es), spam_score plugin + fsync queue | $HARAKA_RATE |"
echo "| stackmail pipeline / Haraka | $VS_HARAKA |"
echo "| stackmail log lines matching failed/raised/error | $PROBLEMS |"
