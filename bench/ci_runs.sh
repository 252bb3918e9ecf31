#!/usr/bin/env bash
# The whole suite as CI runs it, N times in a row (default 10), each on a fresh clone of one
# commit (default HEAD): prints each run's wall time and pytest's summary lines, then the median.
# For the "no flaky test" record in the README; keep the machine otherwise idle while it runs.
#
#     bash bench/ci_runs.sh [RUNS] [COMMIT]     # about 8 minutes a run
set -uo pipefail
runs="${1:-10}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
commit="$(git -C "$repo" rev-parse "${2:-HEAD}")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "commit ${commit:0:7}, $runs runs, one clean clone each"
times=()
for n in $(seq 1 "$runs"); do
  clone="$work/run-$n"
  git clone -q "$repo" "$clone" && git -C "$clone" checkout -q "$commit"
  start=$(date +%s)
  (cd "$clone" && bash .ci/run) >"$work/run-$n.log" 2>&1
  status=$?
  seconds=$(( $(date +%s) - start ))
  times+=("$seconds")
  summary=$(grep -E '^=+ .*(passed|failed|error).* in ' "$work/run-$n.log" | sed -E 's/=+ ?//g' | paste -sd '|')
  printf 'run %2d: %s %dm%02ds  %s\n' "$n" "$([ $status -eq 0 ] && echo green || echo RED)" \
    $((seconds / 60)) $((seconds % 60)) "$summary"
  if [ $status -ne 0 ]; then
    grep -E '^(FAILED|ERROR) ' "$work/run-$n.log" | head -20
    cp "$work/run-$n.log" "${TMPDIR:-/tmp}/ci-run-$n-failed.log"
  fi
  rm -rf "$clone"
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)}')
printf 'median: %dm%02ds over %d runs\n' $((${median%.*} / 60)) $((${median%.*} % 60)) "$runs"
