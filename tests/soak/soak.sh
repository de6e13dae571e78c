#!/bin/sh
# Soak test of the renewal daemon: 50 renewals in one daemon process,
# triggered with SIGUSR1, twice:
#   1. the test build: open descriptors, RSS and token objects must not grow;
#   2. the AddressSanitizer + LeakSanitizer test build: no error, no leak.
# usage: sh tests/soak/soak.sh REPO_ROOT [RENEWALS]   (make soak)
. "$(dirname "$0")/../integration/lib.sh"

RENEWALS=${2:-50}

token_private_keys() {
	pkcs11-tool --module "$MODULE" --token-label compass --login \
		--pin "$(cat "$PIN_FILE")" --list-objects 2>/dev/null |
		grep -c '^Private Key Object' || true
}

renewed() {
	grep -c '^compass-agent: renewed: ' "$WORK/daemon.err" || true
}

fd_count() {
	ls "/proc/$DAEMON_PID/fd" | wc -l
}

rss_kib() {
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$DAEMON_PID/status"
}

# soak BINARY: connect, start the daemon, renew RENEWALS times, stop it.
# Prints "fds A -> B, RSS A -> B KiB, keys A -> B" for the log.
soak() {
	binary=$1
	issue_token token "$WORK/ott"
	"$binary" --module "$MODULE" --token "$TOKEN_URI" \
		--pin-source "file:$PIN_FILE" --ca-file "$CA_FILE" \
		--state-dir "$STATE" connect \
		--connector-url "https://localhost:$TOKEN_PORT/connector/graphql" \
		--one-time-token-file "$WORK/ott" >"$WORK/connect.out" 2>&1 ||
		fail "connect failed"
	COMPASS_AGENT_TEST_TIME_SCALE=0.01 "$binary" --module "$MODULE" \
		--token "$TOKEN_URI" --pin-source "file:$PIN_FILE" \
		--ca-file "$CA_FILE" --state-dir "$STATE" run \
		>"$WORK/daemon.out" 2>"$WORK/daemon.err" &
	DAEMON_PID=$!
	started=$(date +%s)

	# SIGUSR1 kills a process that has not set up its signals yet.
	n=0
	until grep -q 'renewal daemon started' "$WORK/daemon.err"; do
		n=$((n + 1))
		[ "$n" -lt 100 ] || { fail "the daemon did not start"; return 1; }
		sleep 0.1
	done

	i=0
	while [ "$i" -lt "$RENEWALS" ]; do
		before=$(renewed)
		kill -USR1 "$DAEMON_PID"
		n=0
		while [ "$(renewed)" -le "$before" ]; do
			n=$((n + 1))
			if [ "$n" -gt 300 ] || ! kill -0 "$DAEMON_PID"; then
				tail -n 20 "$WORK/daemon.err" | sed 's/^/# /'
				fail "renewal $((i + 1)) did not happen"
				return 1
			fi
			sleep 0.1
		done
		i=$((i + 1))
		# Baseline after the first renewals, when caches are warm.
		if [ "$i" -eq 5 ]; then
			fds_start=$(fd_count)
			rss_start=$(rss_kib)
		fi
	done

	fds_end=$(fd_count)
	rss_end=$(rss_kib)
	keys=$(token_private_keys)

	kill -TERM "$DAEMON_PID"
	status=0
	wait "$DAEMON_PID" || status=$?
	# Descriptor 3 is the script's standard output; see the end.
	echo "# $binary: $RENEWALS renewals in $(( $(date +%s) - started )) s;" \
		"fds $fds_start -> $fds_end, RSS $rss_start -> $rss_end KiB" \
		"(from renewal 5 to the last), private keys $keys" >&3
	[ "$status" -eq 0 ] || {
		grep -A30 'ERROR: \|runtime error' "$WORK/daemon.err" |
			head -n 60 | sed 's/^/# /'
		fail "the daemon exited with status $status"
	}
	[ "$fds_end" -le "$fds_start" ] ||
		fail "open descriptors grew from $fds_start to $fds_end"
	[ "$keys" -eq 1 ] || fail "$keys private keys on the token"
	RSS_GROWTH=$((rss_end - rss_start))
}

case_soak_test_build() {
	soak "$ROOT/build-crash/compass-agent"
	# Allocator noise stays well below 1 MiB over 45 renewals.
	[ "$RSS_GROWTH" -le 1024 ] || fail "RSS grew by $RSS_GROWTH KiB"
}

case_soak_sanitizer_build() {
	LSAN_OPTIONS="suppressions=$ROOT/tests/sanitize/lsan.supp"
	UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
	export LSAN_OPTIONS UBSAN_OPTIONS
	soak "$ROOT/build-soak/compass-agent"
	! grep -q 'ERROR: \(Address\|Leak\)Sanitizer' "$WORK/daemon.err" ||
		fail "sanitizer report in the daemon's output"
}

# run_case captures the case's output; the measurements go to fd 3.
exec 3>&1
run_case "daemon soak, test build" case_soak_test_build
run_case "daemon soak, sanitizer build" case_soak_sanitizer_build
finish
