#!/usr/bin/env bash
# tests/fuzz/run-all.sh — run every libFuzzer target built in $FUZZ_DIR
# (build/fuzz/fuzz_<name>, see the Makefile) for $FUZZ_SECONDS each (default 10),
# starting from a scratch copy of its seed corpus tests/fuzz/corpus/<name>/, and
# print TAP: "ok N - fuzz_x: R runs in S s, no crash" or "not ok" with the crash
# report and the reproducer saved under build/fuzz-crashes/. New targets are
# picked up automatically. Used by `make check` (short) and `make fuzz` (long).
# Each ok line carries the figures of docs/fuzzing.md: runs, exec/s, coverage
# (cov: edges, ft: features), corpus files at the end, peak RSS. With
# FUZZ_KEEP=DIR each target's final corpus is kept in DIR/<name>/ (to merge the
# entries that add coverage into the seeds, see docs/fuzzing.md).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
FUZZ_DIR=${FUZZ_DIR:-$root/build/fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
crashdir=$root/build/fuzz-crashes
tmp=$(mktemp -d /tmp/mqlb-fuzz.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

targets=()
for b in "$FUZZ_DIR"/fuzz_*; do
	[ -f "$b" ] && [ -x "$b" ] && targets+=("$b")
done
if [ ${#targets[@]} -eq 0 ]; then
	echo "1..0 # SKIP no fuzz targets in $FUZZ_DIR (make fuzz-build)"
	exit 0
fi

n=0 fail=0
for b in "${targets[@]}"; do
	name=$(basename "$b")
	n=$((n + 1))
	work=$tmp/$name
	mkdir -p "$work/corpus" "$work/artifacts"
	seeds=0
	if [ -d "$here/corpus/$name" ]; then
		cp -r "$here/corpus/$name/." "$work/corpus/" 2>/dev/null
		seeds=$(find "$work/corpus" -type f | wc -l)
	fi
	log=$work/log
	# -max_total_time bounds the run; -timeout catches hangs; leaks are on by default.
	"$b" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$work/artifacts/" -print_final_stats=1 \
		"$work/corpus" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
	secs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\2/p' "$log" | tail -1)
	eps=$(sed -n 's/^stat::average_exec_per_sec: *\([0-9]*\).*/\1/p' "$log" | tail -1)
	rss=$(sed -n 's/^stat::peak_rss_mb: *\([0-9]*\).*/\1/p' "$log" | tail -1)
	# the last status line: "#N DONE cov: C ft: F corp: K/SIZE ..."
	cov=$(grep -E '^#[0-9]+' "$log" | tail -1 | sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\).*/cov \1 ft \2/p')
	files=$(find "$work/corpus" -type f | wc -l)
	if [ -n "${FUZZ_KEEP:-}" ]; then
		rm -rf "${FUZZ_KEEP:?}/$name"
		mkdir -p "$FUZZ_KEEP/$name"
		cp -r "$work/corpus/." "$FUZZ_KEEP/$name/"
	fi
	if [ "$rc" -eq 0 ] && [ -n "$runs" ]; then
		echo "ok $n - $name: $runs runs in ${secs}s (${eps:-?} exec/s), ${cov:-cov ?}, corpus $files files from $seeds seeds, peak ${rss:-?} MB, no crash"
	else
		fail=$((fail + 1))
		echo "not ok $n - $name: exit $rc (crash, leak, timeout or UB)"
		grep -E 'ERROR|SUMMARY|runtime error|==[0-9]+==' "$log" | head -20 | sed 's/^/#   /'
		mkdir -p "$crashdir"
		for a in "$work"/artifacts/*; do
			[ -f "$a" ] || continue
			cp "$a" "$crashdir/${name}-$(basename "$a")"
			echo "#   reproducer: $crashdir/${name}-$(basename "$a")  (run: $b <file>)"
		done
		tail -n 15 "$log" | sed 's/^/#   /'
	fi
done
echo "1..$n"
[ "$fail" -eq 0 ]
