#!/bin/bash
# Does a troupe server stay slower after a full GC that happens while it is under load? (It did, for good,
# until the per-call tables became IdTables: see NOTES.md, "Why the per-call tables are `IdTable`s".) In each trial: start
# bench/http-noop/troupe-server-gc.ts, warm it 3 s, load it 3 s (base), load it 3 s with a full GC forced
# 1 s in (SIGUSR2), load it 3 s again (after); print req/s and p99 of each load and how many full GCs the
# main thread ran (Node's --trace-gc), once without the forced GC and once with it.
#   bash bench/http-noop/gc-check.sh [TRIALS]
# Needs wrk (Debian package). Run from the repository root.
set -u
trials=${1:-2}
# Node's flags as `troupe run` gets them: from bin/troupe.js's first line (bench/lib/troupe-node.ts does the same).
flags=$(head -1 bin/troupe.js | grep -o -- '--[^ ]*')
load() { wrk -t1 -c64 -d"$1"s --latency "http://127.0.0.1:$2/" | awk '/Requests\/sec/{r=$2} / 99%/{p=$2} END{printf "%s req/s p99 %s", r, p}'; }
for trial in $(seq 1 "$trials"); do
  for force in no yes; do
    out=$(mktemp)
    node $flags --expose-gc --trace-gc --import tsx bench/http-noop/troupe-server-gc.ts 1 > "$out" 2>&1 &
    server=$!
    for _ in $(seq 1 80); do grep -q listening "$out" && break; sleep 0.25; done
    port=$(grep -o 'listening http://127.0.0.1:[0-9]*' "$out" | grep -o '[0-9]*$')
    load 3 "$port" > /dev/null
    base=$(load 3 "$port")
    [ "$force" = yes ] && (sleep 1; kill -USR2 "$server") &
    during=$(load 3 "$port")
    after=$(load 3 "$port")
    # The main thread's isolate is the one --trace-gc names most (the proxy allocates most per request).
    main=$(grep -ao '^\[[0-9]*:0x[0-9a-f]*\]' "$out" | sort | uniq -c | sort -rn | awk 'NR==1{print $2}')
    full=$(grep -aF "$main" "$out" | grep -c Mark-Compact)
    printf 'forced GC %-3s base: %-28s during: %-28s after: %-28s full GCs (main thread): %s\n' "$force" "$base" "$during" "$after" "$full"
    kill -INT "$server"
    wait "$server" 2>/dev/null
    rm -f "$out"
  done
done
