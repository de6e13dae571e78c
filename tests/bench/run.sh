#!/bin/sh
# Benchmarks of compass-agent on a throwaway SoftHSM token against the local
# test Connector (loopback only). Prints a table of wall time and, when the
# CPU counters are available to perf, user-space instructions per run.
# Nothing here asserts a time.
#
# usage: tests/bench/run.sh [RUNS]      (default 11; BENCH_RUNS also works)
#
# Measured, RUNS times each, in this order:
#   renew --force --keep-key  a CSR for the current token key, built and
#                             signed through the token, sent and committed
#   renew --force             a full rotation: a new key pair on the token,
#                             CSR, signing, commit, mTLS proof, old key deleted
#   status                    local state and key attributes, no network
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
agent="$root/compass-agent"
runs=${1:-${BENCH_RUNS:-11}}
work=$(mktemp -d "${TMPDIR:-/tmp}/compass-agent-bench.XXXXXX")
MOCK_PID=

cleanup() {
	if [ -n "$MOCK_PID" ]; then
		kill "$MOCK_PID" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

case $runs in
'' | *[!0-9]*)
	echo "$0: invalid number of runs '$runs': expected a positive integer" >&2
	exit 2
	;;
esac
if [ "$runs" -lt 1 ]; then
	echo "$0: invalid number of runs '$runs': expected at least 1" >&2
	exit 2
fi
if [ ! -x "$agent" ]; then
	echo "$0: $agent not found; run 'make' first" >&2
	exit 1
fi

eval "$(sh "$root/softhsm/make-token.sh" "$work/token" compass)"
export SOFTHSM2_CONF
eval "$(sh "$root/tests/compass-mock/start.sh" "$work/mock" $$)"

run_agent() {
	"$agent" --module "$MODULE" --token "$TOKEN_URI" \
		--pin-source "file:$PIN_FILE" \
		--ca-file "$work/mock/server-ca.pem" \
		--state-dir "$work/state" "$@" > "$work/out" 2> "$work/err"
}

# Use perf only if it can count instructions here; virtual machines often
# do not expose the counter.
use_perf=no
if command -v perf > /dev/null 2>&1 &&
	perf stat -x, -e instructions:u -o "$work/perf-probe" true \
		> /dev/null 2>&1 &&
	grep -q '^[0-9][0-9]*,' "$work/perf-probe"; then
	use_perf=yes
fi

# measure NAME ARGS...: run the agent RUNS times and append one line per
# run, "NAME MILLISECONDS INSTRUCTIONS", to $work/samples.
measure() {
	name=$1
	shift
	i=0
	while [ "$i" -lt "$runs" ]; do
		status=0
		start=$(date +%s%N)
		if [ "$use_perf" = yes ]; then
			perf stat -x, -e instructions:u -o "$work/perf" -- \
				"$agent" --module "$MODULE" --token "$TOKEN_URI" \
				--pin-source "file:$PIN_FILE" \
				--ca-file "$work/mock/server-ca.pem" \
				--state-dir "$work/state" "$@" \
				> "$work/out" 2> "$work/err" || status=$?
		else
			run_agent "$@" || status=$?
		fi
		end=$(date +%s%N)
		if [ "$status" -ne 0 ]; then
			echo "$0: compass-agent $* exited $status:" >&2
			cat "$work/err" >&2
			exit 1
		fi
		instructions=-
		if [ "$use_perf" = yes ]; then
			instructions=$(awk -F, '/instructions/ { print $1 }' \
				"$work/perf")
		fi
		echo "$name $(((end - start) / 1000)) $instructions" \
			>> "$work/samples"
		i=$((i + 1))
	done
}

issue_token() {
	curl -sS --fail -X POST -H 'Content-Type: application/json' \
		--data '{}' "http://127.0.0.1:$ADMIN_PORT/admin/token" |
		node -e 'let s = ""; process.stdin.on("data", (d) => s += d);
process.stdin.on("end", () => process.stdout.write(JSON.parse(s).token));' \
		> "$work/ott"
	chmod 600 "$work/ott"
}

issue_token
run_agent connect \
	--connector-url "https://localhost:$TOKEN_PORT/connector/graphql" \
	--one-time-token-file "$work/ott"

measure "renew --force --keep-key" renew --force --keep-key
measure "renew --force" renew --force
measure "status" status

# Median (the lower one for an even count), minimum and maximum per name.
# The sample lines keep the order of the runs, so sort each column.
summarize() {
	name=$1
	grep "^$name [0-9]" "$work/samples" |
		awk '{ print $(NF - 1) }' | sort -n > "$work/times"
	grep "^$name [0-9]" "$work/samples" |
		awk '{ print $NF }' | sort -n > "$work/counts"
	n=$(wc -l < "$work/times" | tr -d ' ')
	mid=$(((n + 1) / 2))
	median=$(sed -n "${mid}p" "$work/times")
	min=$(head -n 1 "$work/times")
	max=$(tail -n 1 "$work/times")
	count=$(sed -n "${mid}p" "$work/counts")
	if [ "$count" != - ]; then
		count=$(awk -v c="$count" 'BEGIN { printf "%.1f M", c / 1e6 }')
	else
		count=n/a
	fi
	awk -v n="$name" -v r="$n" -v md="$median" -v mn="$min" \
		-v mx="$max" -v c="$count" 'BEGIN {
		printf "| %-26s | %4d | %9.1f | %9.1f | %9.1f | %12s |\n",
			n, r, md / 1000, mn / 1000, mx / 1000, c }'
}

echo "compass-agent benchmarks: $(nproc) CPUs," \
	"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')," \
	"$(date -u +%Y-%m-%d), $runs runs each"
echo "wall time in milliseconds; instructions: user space, median of the runs"
echo
echo "| command                    | runs |    median |       min |       max | instructions |"
echo "|----------------------------|-----:|----------:|----------:|----------:|-------------:|"
summarize "renew --force --keep-key"
summarize "renew --force"
summarize "status"
