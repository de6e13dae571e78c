#!/bin/sh
# Run every suite and print one closing line "N passed, N failed".
#
# usage: tests/run.sh BUILD_DIR [SANITIZER_BUILD_DIR]
#
# Runs the unit tests, the fuzz corpora, the test Connector's self-test and
# the integration suites against BUILD_DIR; then, when given, the unit and
# integration suites again against the AddressSanitizer and
# UndefinedBehaviorSanitizer build. Unit tests (cmocka) print TAP and the
# other suites print TAP-style "ok"/"not ok" lines; each line is one test.
set -u

build=$1
sanitizer_build=${2:-}
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

# Unit tests of one build: every test_* program in BUILD/tests.
run_unit_tests() {
	label=$1
	dir=$2
	for t in "$dir"/tests/test_*; do
		case $t in *.d) continue ;; esac
		name=$label$(basename "$t")
		status=0
		CMOCKA_MESSAGE_OUTPUT=TAP "$t" >"$log/$name.out" 2>&1 || status=$?
		count "$name" "$log/$name.out" "$status"
	done
}

# Integration suites with one build of the program.
run_integration_tests() {
	label=$1
	binary=$2
	for t in "$root"/tests/integration/test_*.sh; do
		name=$label$(basename "$t" .sh)
		status=0
		COMPASS_AGENT_BIN=$binary sh "$t" "$root" >"$log/$name.out" 2>&1 ||
			status=$?
		count "$name" "$log/$name.out" "$status"
	done
}

echo "== unit tests"
run_unit_tests "" "$build"

echo "== static analysis"
status=0
sh "$root/tests/static_analysis.sh" "$root" >"$log/analysis.out" 2>&1 ||
	status=$?
count static-analysis "$log/analysis.out" "$status"

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
status=0
bash "$root/tests/compass-mock/selftest.sh" "$log/mock-selftest" \
	>"$log/mock-selftest.out" 2>&1 || status=$?
count compass-mock-selftest "$log/mock-selftest.out" "$status"

echo "== integration tests"
run_integration_tests "" "$root/compass-agent"

if [ -x "$root/build-soak/compass-agent" ]; then
	echo "== soak: 50 renewals in one daemon, plain and sanitizer builds"
	status=0
	LSAN_OPTIONS="suppressions=$root/tests/sanitize/lsan.supp" \
		sh "$root/tests/soak/soak.sh" "$root" >"$log/soak.out" 2>&1 ||
		status=$?
	count soak "$log/soak.out" "$status"
fi

if [ -n "$sanitizer_build" ]; then
	LSAN_OPTIONS="suppressions=$root/tests/sanitize/lsan.supp"
	UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
	export LSAN_OPTIONS UBSAN_OPTIONS
	echo "== unit tests, sanitizer build"
	run_unit_tests "asan:" "$sanitizer_build"
	echo "== integration tests, sanitizer build"
	run_integration_tests "asan:" "$sanitizer_build/compass-agent"
fi

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
