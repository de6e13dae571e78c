#!/bin/sh
# Input that the admin gives on the command line: files that are not regular
# files, and URLs with a user name or password.
. "$(dirname "$0")/lib.sh"

# Seconds after which a command that should fail at once counts as blocked.
BLOCKED_SECONDS=10

connect_url() {
	echo "https://localhost:$TOKEN_PORT/connector/graphql"
}

# expect_quick_exit EXIT COMMAND...: like expect_exit, but a command still
# running after $BLOCKED_SECONDS fails the test instead of hanging it.
expect_quick_exit() {
	want=$1
	shift
	got=0
	timeout "$BLOCKED_SECONDS" "$@" > "$WORK/out" 2> "$WORK/err" ||
		got=$?
	[ "$got" -ne 124 ] || fail "'$*' still blocked after $BLOCKED_SECONDS s"
	if [ "$got" -ne "$want" ]; then
		sed 's/^/#   stderr: /' "$WORK/err" | head -n 20
		fail "'$*' exited $got, expected $want"
	fi
}

case_token_file_fifo_exits_2() {
	mkfifo "$WORK/ott-fifo"
	expect_quick_exit 2 "$AGENT" --module "$MODULE" --token "$TOKEN_URI" \
		--pin-source "file:$PIN_FILE" --ca-file "$CA_FILE" \
		--state-dir "$STATE" connect --connector-url "$(connect_url)" \
		--one-time-token-file "$WORK/ott-fifo"
	expect_contains "$WORK/err" "not a regular file"
	expect_equal "$(log_lines)" 0 "requests sent"
}

case_token_from_stdin_still_works() {
	issue_token token "$WORK/ott"
	expect_quick_exit 0 sh -c '"$@" < "$0"' "$WORK/ott" "$AGENT" \
		--module "$MODULE" --token "$TOKEN_URI" \
		--pin-source "file:$PIN_FILE" --ca-file "$CA_FILE" \
		--state-dir "$STATE" connect --connector-url "$(connect_url)" \
		--one-time-token-file -
}

case_pin_file_fifo_exits_2() {
	mkfifo -m 600 "$WORK/pin-fifo"
	issue_token token "$WORK/ott"
	expect_quick_exit 2 "$AGENT" --module "$MODULE" --token "$TOKEN_URI" \
		--pin-source "file:$WORK/pin-fifo" --ca-file "$CA_FILE" \
		--state-dir "$STATE" connect --connector-url "$(connect_url)" \
		--one-time-token-file "$WORK/ott"
	expect_contains "$WORK/err" "not a regular file"
	expect_equal "$(log_lines)" 0 "requests sent"
}

# Nothing may be sent: libcurl would put the user name and password in an
# Authorization header. The password appears in no output or file.
case_connector_url_with_password_exits_2() {
	issue_token token "$WORK/ott"
	expect_quick_exit 2 "$AGENT" --module "$MODULE" --token "$TOKEN_URI" \
		--pin-source "file:$PIN_FILE" --ca-file "$CA_FILE" \
		--state-dir "$STATE" connect \
		--connector-url "https://admin:hunter2@localhost:$TOKEN_PORT/connector/graphql" \
		--one-time-token-file "$WORK/ott"
	expect_contains "$WORK/err" "must not contain a user name or password"
	expect_contains "$WORK/err" "https://localhost:$TOKEN_PORT/connector/graphql"
	expect_not_contains "$WORK/err" hunter2
	expect_not_contains "$WORK/out" hunter2
	expect_equal "$(log_lines)" 0 "requests sent"
	! grep -rq hunter2 "$STATE" 2>/dev/null ||
		fail "the password was written to the state directory"
	# The token was never sent, so it still works with a clean URL.
	expect_exit 0 agent connect --connector-url "$(connect_url)" \
		--one-time-token-file "$WORK/ott"
	expect_not_contains "$REQUEST_LOG" authorization
}

case_token_file_url_with_password_exits_2() {
	issue_token token "$WORK/plain"
	printf '{"token":"%s","connectorURL":"https://admin:hunter2@localhost:%s/connector/graphql"}\n' \
		"$(last_token)" "$TOKEN_PORT" > "$WORK/ott"
	chmod 600 "$WORK/ott"
	expect_quick_exit 2 "$AGENT" --module "$MODULE" --token "$TOKEN_URI" \
		--pin-source "file:$PIN_FILE" --ca-file "$CA_FILE" \
		--state-dir "$STATE" connect --one-time-token-file "$WORK/ott"
	expect_contains "$WORK/err" "must not contain a user name or password"
	expect_not_contains "$WORK/err" hunter2
	expect_equal "$(log_lines)" 0 "requests sent"
}

case_token_file_symlink_rejected() {
	# A link planted where the token is expected, pointing at the PIN.
	ln -s "$PIN_FILE" "$WORK/ott-link"
	expect_exit 2 agent connect --connector-url "$(connect_url)" \
		--one-time-token-file "$WORK/ott-link"
	expect_contains "$WORK/err" "symbolic link"
	expect_equal "$(log_lines)" 0 "Connector requests"
}

case_token_file_open_to_others_rejected() {
	issue_token token "$WORK/ott"
	chmod 644 "$WORK/ott"
	expect_exit 2 agent connect --connector-url "$(connect_url)" \
		--one-time-token-file "$WORK/ott"
	expect_contains "$WORK/err" "chmod 600"
	chown nobody "$WORK/ott"
	chmod 600 "$WORK/ott"
	expect_exit 2 agent connect --connector-url "$(connect_url)" \
		--one-time-token-file "$WORK/ott"
	expect_contains "$WORK/err" "is owned by uid"
	expect_equal "$(log_lines)" 0 "Connector requests"
}

run_case "token file symlink rejected" case_token_file_symlink_rejected
run_case "token file open to others rejected" \
	case_token_file_open_to_others_rejected
run_case "token file FIFO exits 2" case_token_file_fifo_exits_2
run_case "token from stdin still works" case_token_from_stdin_still_works
run_case "PIN file FIFO exits 2" case_pin_file_fifo_exits_2
run_case "Connector URL with password exits 2" \
	case_connector_url_with_password_exits_2
run_case "token file URL with password exits 2" \
	case_token_file_url_with_password_exits_2
finish
