#!/usr/bin/env bash
# Two trees' CPU per request (bench/api_cpu.py) measured at the same time, each pinned to its own
# core, then with the cores swapped: whatever slows the machine slows both alike (on this VM the
# same run moves by ±30 % from one minute to the next; one tree after the other cannot show a
# 10 % change).  PostgreSQL serves both (its CPU is not in the figures: api_cpu counts its own
# process's).  Each tree uses its own database, prepared afresh.
#
#   N=150 bench/api_cpu_pair.sh /path/to/before /path/to/after
set -euo pipefail
a=$(realpath "$1"); b=$(realpath "$2")
n=${N:-150}
run() { # tree core out
  (cd "$1" && PYTHONPATH="$1" taskset -c "$2" python bench/api_cpu.py -n "$n" \
    --db "postgresql+psycopg://postgres@127.0.0.1:5432/cpu_pair_$3" 2>&1 \
    | sed -n '/^operation /,/^load average/p' | sed '1d;$d') > "/tmp/api_cpu_pair_$3_$2.txt"
}
for round in 1 2; do
  if [ "$round" = 1 ]; then ca=0; cb=1; else ca=1; cb=0; fi
  run "$a" "$ca" a & run "$b" "$cb" b & wait
  echo "== round $round: $(basename "$a") on core $ca, $(basename "$b") on core $cb (load $(cut -d' ' -f1-3 /proc/loadavg))"
  # rows matched by operation (a tree may measure one the other does not: "-")
  awk 'NR == FNR { a[substr($0, 1, 34)] = $(NF-2); next }
       { k = substr($0, 1, 34); printf "%-34s %8s %8s\n", k, (k in a ? a[k] : "-"), $(NF-2); delete a[k] }
       END { for (k in a) printf "%-34s %8s %8s\n", k, a[k], "-" }' \
    "/tmp/api_cpu_pair_a_$ca.txt" "/tmp/api_cpu_pair_b_$cb.txt"
done
