# Shared helpers for the integration tests; sourced by each test_*.sh.
#
# Every test case gets a fresh environment: its own SoftHSM token, its own
# test Connector on loopback ports, its own state directory. The case runs
# in a subshell, so a failed assertion ends only that case.

ROOT=${1:?usage: sh tests/integration/test_X.sh REPO_ROOT}
AGENT=${COMPASS_AGENT_BIN:-$ROOT/compass-agent}
TEST_NUMBER=0
TEST_FAILED=0

# Start a fresh token and Connector in $WORK.
setup_env() {
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/compass-agent-it.XXXXXX")
	eval "$(sh "$ROOT/softhsm/make-token.sh" "$WORK/token" compass)"
	export SOFTHSM2_CONF
	eval "$(sh "$ROOT/tests/compass-mock/start.sh" "$WORK/mock" $$)"
	STATE="$WORK/state"
	CA_FILE="$WORK/mock/server-ca.pem"
	CLIENT_CA="$WORK/mock/client-ca.pem"
	REQUEST_LOG="$WORK/mock/requests.log"
}

# Every case also shows that neither the token's PIN nor any one-time token
# it issued appears in the state directory, in what the agent printed
# (the *.out, *.err and *.log files of the case), or in the Connector's
# request log.
check_secrets_absent() {
	places=""
	for place in "$STATE" "$WORK"/*.out "$WORK"/*.err "$WORK"/*.log \
		"$WORK/out" "$WORK/err" "$WORK/outputs" "$REQUEST_LOG"; do
		[ -e "$place" ] && places="$places $place"
	done
	[ -n "$places" ] || return 0
	secrets="$WORK/secrets"
	cat "$PIN_FILE" > "$secrets" 2>/dev/null && echo >> "$secrets"
	[ -f "$WORK/issued-tokens" ] && cat "$WORK/issued-tokens" >> "$secrets"
	leaked=0
	while IFS= read -r secret; do
		[ -n "$secret" ] || continue
		# shellcheck disable=SC2086
		found=$(grep -r -l -F -- "$secret" $places 2>/dev/null || true)
		if [ -n "$found" ]; then
			echo "# FAIL: a secret (PIN or one-time token) appears in:" \
				$found
			leaked=1
		fi
	done < "$secrets"
	return "$leaked"
}

teardown_env() {
	status=$?
	if [ -n "${MOCK_PID:-}" ]; then
		kill "$MOCK_PID" 2>/dev/null || true
	fi
	if [ -n "${WORK:-}" ] && [ -d "$WORK" ]; then
		check_secrets_absent || status=1
		rm -rf "$WORK"
	fi
	exit "$status"
}

# Run the agent with the test token, trust and state directory.
agent() {
	"$AGENT" --module "$MODULE" --token "$TOKEN_URI" \
		--pin-source "file:$PIN_FILE" --ca-file "$CA_FILE" \
		--state-dir "$STATE" "$@"
}

# POST JSON to the Connector's admin API and print the response body.
admin() {
	curl -sS --fail -X POST -H 'Content-Type: application/json' \
		--data "${2:-{\}}" "http://127.0.0.1:$ADMIN_PORT$1"
}

# Issue a one-time token and save FORM (token, raw or rawEncoded) in FILE.
issue_token() {
	form=$1
	file=$2
	admin /admin/token "${3:-{\}}" > "$WORK/token.json" || return 1
	node -e '
const t = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
process.stdout.write(t[process.argv[2]]);
' "$WORK/token.json" "$form" > "$file"
	chmod 600 "$file"
	last_token >> "$WORK/issued-tokens"
	echo >> "$WORK/issued-tokens"
}

# The raw token of the last issue_token call.
last_token() {
	node -e '
const t = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
process.stdout.write(t.token);
' "$WORK/token.json"
}

# List the token's objects (the test token's PIN on the test's own argv).
token_objects() {
	pkcs11-tool --module "$MODULE" --token-label compass --login \
		--pin "$(cat "$PIN_FILE")" --list-objects 2>/dev/null
}

# Count objects of a class ("Private Key", "Public Key", "Certificate").
count_objects() {
	token_objects | grep -c "^$1 Object" || true
}

sha256_of() {
	printf '%s' "$1" | sha256sum | cut -d' ' -f1
}

# Print field F of line N (1-based; negative counts from the end) of the log.
log_field() {
	node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
const n = Number(process.argv[2]);
const entry = n < 0 ? lines[lines.length + n] : lines[n - 1];
const v = entry ? entry[process.argv[3]] : undefined;
process.stdout.write(v === undefined || v === null ? "" : String(v));
' "$REQUEST_LOG" "$1" "$2"
}

log_lines() {
	if [ -f "$REQUEST_LOG" ]; then
		wc -l < "$REQUEST_LOG" | tr -d ' '
	else
		echo 0
	fi
}

# Read a field of the JSON object in a file: json_field FILE a.b.c
json_field() {
	node -e '
let v = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
for (const k of process.argv[2].split(".")) v = v == null ? undefined : v[k];
process.stdout.write(v === undefined ? "undefined" : typeof v === "string" ? v : JSON.stringify(v));
' "$1" "$2"
}

# Assertions: each prints a reason and returns 1 on failure.
fail() {
	echo "# FAIL: $*"
	return 1
}

expect_exit() {
	want=$1
	shift
	got=0
	"$@" > "$WORK/out" 2> "$WORK/err" || got=$?
	cat "$WORK/out" "$WORK/err" >> "$WORK/all-output.log"
	if [ "$got" -ne "$want" ]; then
		echo "# FAIL: '$*' exited $got, expected $want"
		sed 's/^/#   stderr: /' "$WORK/err" | head -n 20
		return 1
	fi
}

expect_equal() {
	[ "$1" = "$2" ] || fail "${3:-values differ}: got '$1', expected '$2'"
}

expect_contains() {
	grep -q -- "$2" "$1" || fail "$1 does not contain '$2'"
}

expect_not_contains() {
	! grep -q -- "$2" "$1" || fail "$1 contains '$2'"
}

# run_case NAME FUNCTION: run FUNCTION in a fresh environment.
run_case() {
	TEST_NUMBER=$((TEST_NUMBER + 1))
	(
		set -eu
		setup_env
		trap teardown_env EXIT
		"$2"
	) > "$WORK_LOG" 2>&1
	status=$?
	if [ $status -eq 0 ]; then
		echo "ok $TEST_NUMBER - $1"
	else
		echo "not ok $TEST_NUMBER - $1"
		sed 's/^/# /' "$WORK_LOG" | tail -n 40
		TEST_FAILED=1
	fi
}

WORK_LOG=$(mktemp "${TMPDIR:-/tmp}/compass-agent-case.XXXXXX")
trap 'rm -f "$WORK_LOG"' EXIT

finish() {
	exit "$TEST_FAILED"
}
