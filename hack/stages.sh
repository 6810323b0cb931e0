#!/usr/bin/env bash
# Runs make targets one after the other, as `make test` does, and prints how long each
# took: the README's timings come from this table. Stops at the first failing target
# (after printing the table so far).
#
#   hack/stages.sh MAKE TARGET...
set -uo pipefail
make_cmd="$1"
shift
names=() times=()
report() {
  local total=0 i
  echo
  echo "make test stages:"
  for i in "${!names[@]}"; do
    printf '  %-16s %4dm%02ds\n' "${names[$i]}" $((times[i] / 60)) $((times[i] % 60))
    total=$((total + times[i]))
  done
  printf '  %-16s %4dm%02ds\n' "total" $((total / 60)) $((total % 60))
}
for target in "$@"; do
  start=$SECONDS
  $make_cmd --no-print-directory "$target"
  status=$?
  names+=("$target") times+=($((SECONDS - start)))
  if [ $status -ne 0 ]; then
    report
    echo "make test: $target failed" >&2
    exit $status
  fi
done
report
