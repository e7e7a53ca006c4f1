#!/usr/bin/env bash
# Regenerates the book's charts and verdicts from the runs of the workloads they show:
# each claim's charts (`sim run --plots`) and `sim check` output, the tutorial's chart, and the
# lockdep page's reports.
# The results are committed; tests/book.rs fails when a verdict no longer matches the model.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
sim=./target/release/sim

svg_only() { find "$1" -name '*.png' -delete; }

rm -rf book/src/img && mkdir -p book/src/img
"$sim" run workloads/scaling.wl --plots book/src/img -q || true
svg_only book/src/img

for f in workloads/claims/*.wl; do
  name=$(basename "$f" .wl)
  out=book/src/claims/$name
  rm -rf "$out" && mkdir -p "$out"
  "$sim" run "$f" --plots "$out" -q || true
  svg_only "$out"
  "$sim" check "$f" --seeds 20 -q > "$out/verdict.txt" || true
  {
    # The charts that make the claim's case first: scaling lines, then bars, then the rest.
    for svg in "$out"/scaling-*.svg "$out"/bars-*.svg "$out"/cdf-*.svg "$out"/vmalloc-*.svg; do
      [ -e "$svg" ] || continue
      chart=$(basename "$svg" .svg)
      printf '![%s](%s/%s.svg)\n\n' "$chart" "$name" "$chart"
    done
  } > "$out/charts.md"
done

# The lockdep and lock_stat page's reports: lockdep's warnings (the run's output from the
# first warning on) and a lock_stat table. tests/book.rs runs the same commands.
lockdep() { "$sim" run "$@" | sed -n '/^=====\|^BUG: /,$p'; }
rm -rf book/src/lockdep && mkdir -p book/src/lockdep
lockdep workloads/claims/09-order-inversion.wl -p strategy=mm_lock -p gap=100ms > book/src/lockdep/order-inversion.txt || true
lockdep workloads/claims/12-preempt-lockdep.wl -p strategy=mm_lock -p vmas=200 > book/src/lockdep/v13-mm_lock.txt || true
"$sim" run workloads/gru.wl --lock-stat -q > book/src/lockdep/gru-lock-stat.txt || true
mkdir -p book/src/explore
"$sim" explore workloads/explore/abba.wl -q > book/src/explore/abba.txt || true
echo "book/src/img, book/src/claims/*/, book/src/lockdep/ and book/src/explore/ regenerated"
