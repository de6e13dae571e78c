#!/bin/sh
# Security rules shown to hold: used one-time tokens, untrusted servers, a
# wrong PIN tried once, and secrets kept out of files, output and argv.
. "$(dirname "$0")/lib.sh"

CONNECTOR_PATH=/connector/graphql

connect_url() {
	echo "https://localhost:$TOKEN_PORT$CONNECTOR_PATH"
}

case_used_token_exits_6() {
	issue_token token "$WORK/ott"
	expect_exit 0 agent connect --connector-url "$(connect_url)" \
		--one-time-token-file "$WORK/ott"
	rm -rf "$STATE"
	expect_exit 6 agent connect --connector-url "$(connect_url)" \
		--one-time-token-file "$WORK/ott"
}

case_server_from_other_ca_exits_5() {
	issue_token token "$WORK/ott"
	got=0
	"$AGENT" --module "$MODULE" --token "$TOKEN_URI" \
		--pin-source "file:$PIN_FILE" --ca-file "$WORK/mock/other-ca.pem" \
		--state-dir "$STATE" connect --connector-url "$(connect_url)" \
		--one-time-token-file "$WORK/ott" > "$WORK/out" 2>&1 || got=$?
	expect_equal "$got" 5 "exit code with an untrusted server"
	# The token was never sent, so it still works.
	expect_exit 0 agent connect --connector-url "$(connect_url)" \
		--one-time-token-file "$WORK/ott"
}

case_system_ca_not_in_ca_file_exits_5() {
	if [ "$(id -u)" -ne 0 ] || [ ! -w /etc/ssl/certs ]; then
		echo "# SKIP: needs root to add a CA to the system store"
		return 0
	fi
	# Trust the test server CA system-wide for this case only.
	link=/etc/ssl/certs/$(openssl x509 -hash -noout -in "$CA_FILE").0
	while [ -e "$link" ]; do link="$link.x"; done
	ln -s "$CA_FILE" "$link"
	trap 'rm -f "$link"; teardown_env' EXIT

	# The system store alone trusts the server ...
	issue_token token "$WORK/ott"
	got=0
	"$AGENT" --module "$MODULE" --token "$TOKEN_URI" \
		--pin-source "file:$PIN_FILE" --state-dir "$STATE" \
		connect --connector-url "$(connect_url)" \
		--one-time-token-file "$WORK/ott" > "$WORK/out" 2>&1 || got=$?
	expect_equal "$got" 0 "connect trusting the system store"
	# ... but --ca-file naming another CA is the only trust.
	rm -rf "$STATE"
	issue_token token "$WORK/ott"
	got=0
	"$AGENT" --module "$MODULE" --token "$TOKEN_URI" \
		--pin-source "file:$PIN_FILE" --ca-file "$WORK/mock/other-ca.pem" \
		--state-dir "$STATE" connect --connector-url "$(connect_url)" \
		--one-time-token-file "$WORK/ott" > "$WORK/out" 2>&1 || got=$?
	rm -f "$link"
	expect_equal "$got" 5 "connect with a system-trusted CA not in --ca-file"
}

case_wrong_pin_one_login_attempt() {
	# OpenSC's pkcs11-spy wraps SoftHSM and logs every call, so that the
	# C_Login calls can be counted.
	spy=/usr/lib/x86_64-linux-gnu/pkcs11-spy.so
	[ -r "$spy" ] || fail "$spy not found; install opensc-pkcs11"
	echo "wrong-pin" > "$WORK/wrong-pin"
	chmod 600 "$WORK/wrong-pin"
	issue_token token "$WORK/ott"
	got=0
	PKCS11SPY="$MODULE" PKCS11SPY_OUTPUT="$WORK/spy.log" "$AGENT" \
		--module "$spy" --token "$TOKEN_URI" \
		--pin-source "file:$WORK/wrong-pin" --ca-file "$CA_FILE" \
		--state-dir "$STATE" connect --connector-url "$(connect_url)" \
		--one-time-token-file "$WORK/ott" > "$WORK/out" 2> "$WORK/err" ||
		got=$?
	expect_equal "$got" 4 "exit code with a wrong PIN"
	logins=$(grep -c '^[0-9]*: C_Login' "$WORK/spy.log" || true)
	expect_equal "$logins" 1 "C_Login calls"
	expect_contains "$WORK/err" "CKR_PIN_INCORRECT"
	expect_not_contains "$WORK/err" "wrong-pin"
	# The one-time token was not spent on a run that could not log in.
	expect_equal "$(log_lines)" 0 "Connector requests"
}

case_rejected_pin_file_not_retried() {
	spy=/usr/lib/x86_64-linux-gnu/pkcs11-spy.so
	echo "wrong-pin" > "$WORK/pin"
	chmod 600 "$WORK/pin"
	issue_token token "$WORK/ott"
	run_with_spy() {
		rm -f "$WORK/spy.log"
		got=0
		PKCS11SPY="$MODULE" PKCS11SPY_OUTPUT="$WORK/spy.log" "$AGENT" \
			--module "$spy" --token "$TOKEN_URI" \
			--pin-source "file:$WORK/pin" --ca-file "$CA_FILE" \
			--state-dir "$STATE" connect \
			--connector-url "$(connect_url)" \
			--one-time-token-file "$WORK/ott" > "$WORK/out" \
			2> "$WORK/err" || got=$?
		logins=$(grep -c '^[0-9]*: C_Login' "$WORK/spy.log" || true)
	}
	run_with_spy
	expect_equal "$got" 4 "first run"
	expect_equal "$logins" 1 "C_Login calls in the first run"
	# A later run, as from a timer, does not try the same file again.
	run_with_spy
	expect_equal "$got" 4 "second run"
	expect_equal "$logins" 0 "C_Login calls in the second run"
	expect_contains "$WORK/err" "has not changed"
	# Any change to the file allows a new attempt. This run goes without
	# the spy, which leaks the certificates it decodes for its log.
	cp "$PIN_FILE" "$WORK/pin"
	expect_exit 0 "$AGENT" --module "$MODULE" --token "$TOKEN_URI" \
		--pin-source "file:$WORK/pin" --ca-file "$CA_FILE" \
		--state-dir "$STATE" connect --connector-url "$(connect_url)" \
		--one-time-token-file "$WORK/ott"
	[ ! -e "$STATE/pin-rejected" ] || fail "the rejection record remains"
}

case_module_by_p11_kit_name() {
	# Debian's softhsm2 package registers the module as "softhsm2".
	issue_token token "$WORK/ott"
	"$AGENT" --module softhsm2 --token "$TOKEN_URI" \
		--pin-source "file:$PIN_FILE" --ca-file "$CA_FILE" \
		--state-dir "$STATE" connect --connector-url "$(connect_url)" \
		--one-time-token-file "$WORK/ott" > "$WORK/out" 2> "$WORK/err" ||
		fail "connect with --module softhsm2: $(cat "$WORK/err")"
	issue_token token "$WORK/ott"
	expect_exit 3 "$AGENT" --module no-such-module --token "$TOKEN_URI" \
		--pin-source "file:$PIN_FILE" --state-dir "$WORK/state2" \
		connect --connector-url "$(connect_url)" \
		--one-time-token-file "$WORK/ott"
	expect_contains "$WORK/err" "softhsm2"
}

case_token_uri_matching_nothing_lists_tokens() {
	issue_token token "$WORK/ott"
	expect_exit 3 "$AGENT" --module "$MODULE" --token pkcs11:token=absent \
		--pin-source "file:$PIN_FILE" --state-dir "$STATE" \
		connect --connector-url "$(connect_url)" \
		--one-time-token-file "$WORK/ott"
	expect_contains "$WORK/err" "'compass'"
	expect_equal "$(log_lines)" 0 "Connector requests"
}

case_pin_prompt_does_not_echo() {
	issue_token token "$WORK/ott"
	expect_exit 0 agent connect --connector-url "$(connect_url)" \
		--one-time-token-file "$WORK/ott"
	pin=$(cat "$PIN_FILE")
	# script(1) gives the agent a terminal; the PIN is typed after a pause.
	(sleep 2; printf '%s\n' "$pin") | script -q -e -c "'$AGENT' \
		--module '$MODULE' --token '$TOKEN_URI' --pin-source prompt \
		--state-dir '$STATE' status" /dev/null > "$WORK/tty.out" 2>&1 ||
		fail "status with a prompted PIN failed: $(cat "$WORK/tty.out")"
	expect_contains "$WORK/tty.out" "PIN for token 'compass'"
	expect_contains "$WORK/tty.out" "never extractable yes"
	expect_not_contains "$WORK/tty.out" "$pin"
}

case_pin_file_readable_by_others_rejected() {
	chmod 644 "$PIN_FILE"
	issue_token token "$WORK/ott"
	expect_exit 2 agent connect --connector-url "$(connect_url)" \
		--one-time-token-file "$WORK/ott"
	expect_contains "$WORK/err" "chmod 600"
}

# Search every file of the state directory and every output for a secret.
assert_secret_absent() {
	secret=$1
	what=$2
	if grep -r -q -F -- "$secret" "$STATE" "$WORK/outputs"; then
		fail "$what found in: $(grep -r -l -F -- "$secret" "$STATE" "$WORK/outputs")"
	fi
}

case_secrets_absent_from_files_output_argv() {
	mkdir "$WORK/outputs"
	pin=$(cat "$PIN_FILE")
	issue_token token "$WORK/ott"
	ott=$(last_token)
	# The PIN through the environment, so that /proc/PID/environ is tested.
	admin /admin/fault '{"mode":"slow-body","count":1,"endpoint":"token"}' \
		> /dev/null
	COMPASS_TEST_PIN="$pin" "$AGENT" -v --module "$MODULE" \
		--token "$TOKEN_URI" --pin-source env:COMPASS_TEST_PIN \
		--ca-file "$CA_FILE" --state-dir "$STATE" --timeout 8 connect \
		--connector-url "$(connect_url)" --one-time-token-file "$WORK/ott" \
		> "$WORK/outputs/slow.out" 2> "$WORK/outputs/slow.err" &
	pid=$!
	# While the Connector sends its response slowly, the agent has both secrets in memory.
	sleep 3
	kill -0 "$pid" || fail "the agent ended before the slow response"
	tr '\0' ' ' < "/proc/$pid/cmdline" > "$WORK/outputs/cmdline"
	tr '\0' '\n' < "/proc/$pid/environ" > "$WORK/outputs/environ"
	wait "$pid" || true
	assert_secret_absent "$pin" "the PIN"
	assert_secret_absent "$ott" "the one-time token"

	# A full successful run, every command verbose.
	issue_token token "$WORK/ott"
	ott=$(last_token)
	for cmd in "connect --connector-url $(connect_url) --one-time-token-file $WORK/ott" \
		config "renew --force" status "--json status" "revoke --yes"; do
		name=$(echo "$cmd" | cut -d' ' -f1-2 | tr ' -' '__')
		# shellcheck disable=SC2086
		agent -v $cmd > "$WORK/outputs/$name.out" 2> "$WORK/outputs/$name.err" ||
			fail "'$cmd' failed: $(cat "$WORK/outputs/$name.err")"
	done
	assert_secret_absent "$pin" "the PIN"
	assert_secret_absent "$ott" "the one-time token"
	grep -q -F "$ott" "$WORK/ott" || fail "the test lost its token"
}

case_process_hardened_at_runtime() {
	issue_token token "$WORK/ott"
	admin /admin/fault '{"mode":"slow-body","count":1,"endpoint":"token"}' \
		> /dev/null
	# Descriptor 7 is an inherited leftover; 8 carries the PIN.
	"$AGENT" --module "$MODULE" --token "$TOKEN_URI" --pin-source fd:8 \
		--ca-file "$CA_FILE" --state-dir "$STATE" --timeout 8 connect \
		--connector-url "$(connect_url)" --one-time-token-file "$WORK/ott" \
		> "$WORK/out" 2> "$WORK/err" 7< "$CA_FILE" 8< "$PIN_FILE" &
	pid=$!
	sleep 3
	kill -0 "$pid" || fail "the agent ended early: $(cat "$WORK/err")"
	grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$pid/status" ||
		fail "no_new_privs is not set"
	grep -q '^Umask:[[:space:]]*0077' "/proc/$pid/status" ||
		fail "umask is not 077"
	grep -q '^Max core file size[[:space:]]*0[[:space:]]*0' \
		"/proc/$pid/limits" || fail "core dumps are not disabled"
	# The agent reuses descriptor numbers, so look at what they point to.
	for fd in "/proc/$pid"/fd/*; do
		target=$(readlink "$fd" || true)
		[ "$target" != "$(readlink -f "$CA_FILE")" ] ||
			fail "the inherited descriptor is still open as $fd"
		[ "$target" != "$(readlink -f "$PIN_FILE")" ] ||
			fail "the PIN descriptor is still open as $fd"
	done
	wait "$pid" || true
}

case_state_dir_is_private() {
	issue_token token "$WORK/ott"
	expect_exit 0 agent connect --connector-url "$(connect_url)" \
		--one-time-token-file "$WORK/ott"
	expect_equal "$(stat -c %a "$STATE")" 700 "state directory mode"
	for f in state.json cert.pem chain.pem ca.pem; do
		expect_equal "$(stat -c %a "$STATE/$f")" 600 "$f mode"
	done
	ls -a "$STATE" | grep -q '\.tmp$' && fail "temporary files remain"
	chmod 755 "$STATE"
	expect_exit 8 agent status
}

case_second_instance_exits_8() {
	issue_token token "$WORK/ott"
	expect_exit 0 agent connect --connector-url "$(connect_url)" \
		--one-time-token-file "$WORK/ott"
	# Hold the lock as another instance would.
	flock -n "$STATE/lock" sleep 5 &
	sleep 0.5
	expect_exit 8 agent status
	expect_contains "$WORK/err" "locked"
	kill %1 2>/dev/null || true
}

case_http_url_rejected_exits_5() {
	issue_token token "$WORK/ott"
	expect_exit 5 agent connect \
		--connector-url "http://localhost:$TOKEN_PORT$CONNECTOR_PATH" \
		--one-time-token-file "$WORK/ott"
	expect_contains "$WORK/err" "https"
}

run_case "used one-time token exits 6" case_used_token_exits_6
run_case "server from other CA exits 5" case_server_from_other_ca_exits_5
run_case "system CA not in --ca-file exits 5" case_system_ca_not_in_ca_file_exits_5
run_case "wrong PIN: exit 4, one C_Login" case_wrong_pin_one_login_attempt
run_case "rejected PIN file not retried" case_rejected_pin_file_not_retried
run_case "module by p11-kit name" case_module_by_p11_kit_name
run_case "unmatched token URI lists tokens" case_token_uri_matching_nothing_lists_tokens
run_case "PIN prompt does not echo" case_pin_prompt_does_not_echo
run_case "PIN file readable by others rejected" case_pin_file_readable_by_others_rejected
run_case "secrets absent from files, output, argv" case_secrets_absent_from_files_output_argv
run_case "process hardened at runtime" case_process_hardened_at_runtime
run_case "state directory is private" case_state_dir_is_private
run_case "second instance exits 8" case_second_instance_exits_8
run_case "http URL rejected with exit 5" case_http_url_rejected_exits_5
finish
