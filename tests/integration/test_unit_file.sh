#!/bin/sh
# The systemd unit in dist/: systemd-analyze accepts it, and its sandboxing
# keeps the exposure score of "systemd-analyze security" at 2.0 or lower.
. "$(dirname "$0")/lib.sh"

unit_copy() {
	# verify checks that ExecStart exists, so point it at this build.
	binary=$(cd "$(dirname "$AGENT")" && pwd)/$(basename "$AGENT")
	sed "s#/usr/local/bin/compass-agent#$binary#" \
		"$ROOT/dist/compass-agent.service" > "$WORK/compass-agent.service"
}

case_unit_file_verifies() {
	unit_copy
	systemd-analyze verify --man=no "$WORK/compass-agent.service" \
		> "$WORK/verify.out" 2>&1 ||
		fail "systemd-analyze verify: $(cat "$WORK/verify.out")"
}

case_unit_file_exposure_at_most_2() {
	unit_copy
	score=$(systemd-analyze security --offline=true \
		"$WORK/compass-agent.service" 2>/dev/null |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	[ -n "$score" ] || fail "no exposure score in the output"
	awk -v score="$score" 'BEGIN { exit !(score <= 2.0) }' ||
		fail "exposure score $score, expected 2.0 or lower"
}

run_case "unit file verifies" case_unit_file_verifies
run_case "unit file exposure at most 2.0" case_unit_file_exposure_at_most_2
finish
