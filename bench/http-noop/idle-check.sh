#!/bin/bash
# Does a troupe server serve slower after sitting idle? For each set of Node flags given (an empty string is
# Node's defaults), in interleaved trials: start bench/http-noop/troupe-server.ts, load it 5 s, leave it idle
# 25 s, load it twice 4 s; print req/s and p99 of each load.
#   bash bench/http-noop/idle-check.sh [TRIALS] "" "--min-semi-space-size=8"
# Needs wrk (Debian package). Run from the repository root.
set -u
trials=${1:-3}
shift || true
[ $# -gt 0 ] || set -- ""
load() { wrk -t1 -c64 -d"$1"s --latency "http://127.0.0.1:$2/" | awk '/Requests\/sec/{r=$2} / 99%/{p=$2} END{printf "%s req/s p99 %s", r, p}'; }
for trial in $(seq 1 "$trials"); do
  for flags in "$@"; do
    out=$(mktemp)
    # shellcheck disable=SC2086
    node $flags --import tsx bench/http-noop/troupe-server.ts 1 > "$out" 2>&1 &
    server=$!
    for _ in $(seq 1 80); do grep -q listening "$out" && break; sleep 0.25; done
    port=$(grep -o 'listening http://127.0.0.1:[0-9]*' "$out" | grep -o '[0-9]*$')
    before=$(load 5 "$port")
    sleep 25
    after1=$(load 4 "$port")
    after2=$(load 4 "$port")
    printf '%-28s before: %-30s after idle: %-30s then: %s\n' "[${flags}]" "$before" "$after1" "$after2"
    kill -INT "$server"
    wait "$server" 2>/dev/null
    rm -f "$out"
  done
done
