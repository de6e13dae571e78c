#!/bin/sh
# Run every suite and print one closing line "N passed, N failed".
#
# usage: tests/run.sh BUILD_DIR UNIT_TEST...
#
# Unit tests (cmocka) print TAP; the integration scripts print TAP-style
# "ok"/"not ok" lines too. Each line counts as one test.
set -u

build=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
log=$(mktemp -d "${TMPDIR:-/tmp}/compass-agent-check.XXXXXX")
trap 'rm -rf "$log"' EXIT INT TERM

passed=0
failed=0

# Count the TAP lines of one suite's output and show its failures.
count() {
	suite=$1
	out=$2
	status=$3
	p=$(grep -c '^ok ' "$out")
	f=$(grep -c '^not ok ' "$out")
	if [ "$f" -eq 0 ] && { [ "$p" -eq 0 ] || [ "$status" -ne 0 ]; }; then
		# A suite that crashed or ran nothing counts as one failure.
		echo "not ok - $suite exited with status $status"
		f=$((f + 1))
		tail -n 30 "$out" | sed 's/^/    /'
	fi
	grep '^not ok ' "$out" | sed "s/^/$suite: /"
	grep -A12 '^not ok ' "$out" | grep '^#' | head -n 40 | sed 's/^/    /'
	printf '%-40s %3d passed, %d failed\n' "$suite" "$p" "$f"
	passed=$((passed + p))
	failed=$((failed + f))
}

echo "== unit tests"
for t in "$@"; do
	name=$(basename "$t")
	CMOCKA_MESSAGE_OUTPUT=TAP "$t" >"$log/$name.out" 2>&1
	count "$name" "$log/$name.out" $?
done

echo "== fuzz corpus replay"
if [ -d "$build/fuzz-replay" ]; then
	for r in "$build"/fuzz-replay/replay_*; do
		case $r in *.d) continue ;; esac
		name=$(basename "$r")
		target=${name#replay_}
		# One test per corpus: every file must go through without a crash.
		status=0
		"$r" "$root/tests/fuzz/corpus/$target" >"$log/$name.out" 2>&1 ||
			status=$?
		if [ "$status" -eq 0 ]; then
			echo "ok 1 - corpus $target" >>"$log/$name.out"
		fi
		count "$name" "$log/$name.out" "$status"
	done
fi

echo "== test Connector self-test"
bash "$root/tests/compass-mock/selftest.sh" "$log/mock-selftest" \
	>"$log/mock-selftest.out" 2>&1
count compass-mock-selftest "$log/mock-selftest.out" $?

echo "== integration tests"
for t in "$root"/tests/integration/test_*.sh; do
	name=$(basename "$t" .sh)
	sh "$t" "$root" >"$log/$name.out" 2>&1
	count "$name" "$log/$name.out" $?
done

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
