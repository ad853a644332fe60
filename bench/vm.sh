#!/usr/bin/env bash
# Times each workload in bench/vm under python3, pypy3 (when installed) and `stackmail run`
# (release build), best of 3 runs, and prints a Markdown table with speed ratios against
# CPython (>1 means faster than CPython) and their geometric mean.
# Usage: bash bench/vm.sh   (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
SM=target/release/stackmail
best() {
    local best=""
    for _ in 1 2 3; do
        local s e t
        s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N)
        t=$(echo "$e - $s" | bc -l)
        if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
    done
    printf "%.3f" "$best"
}
have_pypy=0; command -v pypy3 > /dev/null && have_pypy=1
echo "| workload | python3 (s) | pypy3 (s) | stackmail (s) | vs python3 |"
echo "| --- | --- | --- | --- | --- |"
logsum=0; n=0
for f in bench/vm/*.py; do
    name=$(basename "$f" .py)
    py=$(best python3 "$f")
    pp="-"; [ $have_pypy = 1 ] && pp=$(best pypy3 "$f")
    sm=$(best "$SM" run "$f")
    ratio=$(echo "$py / $sm" | bc -l)
    logsum=$(echo "$logsum + l($ratio)" | bc -l); n=$((n + 1))
    printf "| %s | %s | %s | %s | %.2fx |\n" "$name" "$py" "$pp" "$sm" "$ratio"
done
printf "\nGeometric mean vs python3: %.2fx\n" "$(echo "e($logsum / $n)" | bc -l)"
