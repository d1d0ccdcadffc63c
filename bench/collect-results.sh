#!/usr/bin/env bash
# Rebuilds bench/RESULTS.md from bench/results/README.head.md and the sections in bench/results/*.md.
set -euo pipefail
cd "$(dirname "$0")/results"
{
  cat README.head.md
  for f in actor-calls object-store handle-calls batching http-noop native-batching ocr autoscale harness; do
    [ -f "$f.md" ] || continue
    echo
    # Links to charts beside a section point into results/ from RESULTS.md.
    sed -E 's#\]\(([A-Za-z0-9_.-]+\.(png|svg))\)#](results/\1)#g' "$f.md"
    echo
    echo '---'
  done
} > ../RESULTS.md
