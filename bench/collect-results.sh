#!/usr/bin/env bash
# Redraws the committed charts under bench/results/ from the last run of each scenario
# (bench/out/<scenario>/results.json): <scenario>.svg, and <scenario>.png for viewers that show no SVG.
# bench/RESULTS.md is edited by hand: one row per goal (see the line under its table).
set -euo pipefail
cd "$(dirname "$0")/.."
exec node --import tsx bench/lib/collect-charts.ts "$@"
