#!/bin/bash
# The no-op server (troupe-server.ts, 1 replica) of two source trees, measured in interleaved wrk rounds: what a
# change on the request path costs, with the machine's load falling on both alike.
# Usage: bench/http-noop/trace-cost.sh BEFORE_COMMIT AFTER_COMMIT [COMMIT_TO_APPLY_ON_AFTER ...] (run under
# flock /tmp/troupe-bench.lock). Each tree is a `git archive` in a temp folder sharing node_modules and build/.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
before=$1; after=$2; shift 2
work=$(mktemp -d)
mkdir "$work/before" "$work/after"
git -C "$root" archive "$before" | tar -x -C "$work/before"
git -C "$root" archive "$after" | tar -x -C "$work/after"
for c in "$@"; do git -C "$root" show "$c" -- src | (cd "$work/after" && git apply -p1); done
for d in before after; do ln -s "$root/node_modules" "$work/$d/node_modules"; ln -s "$root/build" "$work/$d/build"; done
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
for d in before after; do
  (cd "$work/$d" && exec node --min-semi-space-size=8 --conditions=troupe-source --import tsx bench/http-noop/troupe-server.ts 1 > "$work/$d.out" 2>/dev/null) &
  pids+=($!)
done
for _ in $(seq 1 240); do grep -q listening "$work/before.out" 2>/dev/null && grep -q listening "$work/after.out" 2>/dev/null && break; sleep 0.5; done
url() { grep -o 'http://[0-9.:]*' "$work/$1.out" | head -1; }
echo "before $before, after $after $*; load: $(cut -d' ' -f1-3 /proc/loadavg)"
for d in before after; do wrk -t1 -c8 -d2s "$(url $d)/" > /dev/null; done
for r in $(seq 1 "${ROUNDS:-5}"); do
  for c in 64 1; do
    for d in before after; do
      echo "round $r $d c=$c $(wrk -t1 -c$c -d5s "$(url $d)/" | awk '/Requests\/sec/ {print $2}') req/s"
    done
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
