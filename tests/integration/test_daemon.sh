#!/bin/sh
# The renewal daemon (compass-agent run) and the crash safety of the
# rotation, on a real SoftHSM token against the test Connector.
#
# These cases need the test build (make crash-build): it has the named
# crash points and honours COMPASS_AGENT_TEST_TIME_SCALE, which shortens
# the 30 s minimum backoff and the 1 min minimum sync interval.
. "$(dirname "$0")/lib.sh"

TEST_AGENT=${COMPASS_AGENT_TEST_BIN:-$ROOT/build-crash/compass-agent}

# The sanitizer pass gives a sanitizer build without the test features.
case $AGENT in
*build-asan*)
	echo "ok 1 - daemon suite # SKIP needs the test build; make soak runs" \
		"the daemon under AddressSanitizer"
	exit 0
	;;
esac
if [ ! -x "$TEST_AGENT" ]; then
	echo "not ok 1 - $TEST_AGENT is missing; run make crash-build"
	exit 1
fi

# Run the test build with the test token, trust and state directory.
tagent() {
	"$TEST_AGENT" --module "$MODULE" --token "$TOKEN_URI" \
		--pin-source "file:$PIN_FILE" --ca-file "$CA_FILE" \
		--state-dir "$STATE" "$@"
}

connect_fresh() {
	issue_token token "$WORK/ott"
	expect_exit 0 tagent connect \
		--connector-url "https://localhost:$TOKEN_PORT/connector/graphql" \
		--one-time-token-file "$WORK/ott"
}

# Start the daemon in the background; extra arguments go before "run".
# COMPASS_AGENT_TEST_TIME_SCALE comes from the caller's environment.
start_daemon() {
	"$TEST_AGENT" --module "$MODULE" --token "$TOKEN_URI" \
		--pin-source "file:$PIN_FILE" --ca-file "$CA_FILE" \
		--state-dir "$STATE" "$@" run \
		>"$WORK/daemon.out" 2>"$WORK/daemon.err" &
	DAEMON_PID=$!
	echo "$DAEMON_PID" > "$WORK/daemon.pid"
}

# Send SIGTERM and wait up to 5 s; fails when the daemon is still running
# or exits with a status other than 0.
stop_daemon() {
	kill -TERM "$DAEMON_PID"
	n=0
	while kill -0 "$DAEMON_PID" 2>/dev/null; do
		n=$((n + 1))
		if [ "$n" -gt 50 ]; then
			kill -KILL "$DAEMON_PID"
			fail "the daemon was still running 5 s after SIGTERM"
			return 1
		fi
		sleep 0.1
	done
	status=0
	wait "$DAEMON_PID" || status=$?
	DAEMON_PID=
	[ "$status" -eq 0 ] || fail "the daemon exited with status $status"
}

cleanup_daemon() {
	case_status=$?
	if [ -n "${DAEMON_PID:-}" ]; then
		kill -KILL "$DAEMON_PID" 2>/dev/null || true
	fi
	# teardown_env takes the case's status from $?.
	(exit "$case_status")
	teardown_env
}

# wait_for SECONDS COMMAND...: poll COMMAND every 0.2 s until it succeeds.
wait_for() {
	limit=$(( $1 * 5 ))
	shift
	n=0
	until "$@"; do
		n=$((n + 1))
		[ "$n" -lt "$limit" ] || return 1
		sleep 0.2
	done
}

# Lines of the Connector log that match an operation and an outcome.
count_log() {
	[ -f "$REQUEST_LOG" ] || { echo 0; return; }
	grep "\"operation\":\"$1\"" "$REQUEST_LOG" | grep -c -- "$2" || true
}

# log_at_least N OPERATION PATTERN: the Connector log has N such lines.
log_at_least() {
	[ "$(count_log "$2" "$3")" -ge "$1" ]
}

renewals_at_least() {
	[ "$(grep -c '^compass-agent: renewed: ' "$WORK/daemon.err")" -ge "$1" ]
}

# The active generation is consistent: one key pair and one certificate
# on the token, the certificate carries the token key, the chain verifies,
# and the state directory has no leftovers of a rotation.
expect_one_generation() {
	expect_equal "$(count_objects 'Private Key')" 1 "private keys"
	expect_equal "$(count_objects 'Public Key')" 1 "public keys"
	expect_equal "$(count_objects Certificate)" 1 "certificate objects"
	id=$(json_field "$STATE/state.json" key_id)
	pkcs11-tool --module "$MODULE" --token-label compass --read-object \
		--type pubkey --id "$id" -o "$WORK/pub.der" >/dev/null 2>&1 ||
		fail "no public key with the state's key ID $id on the token"
	openssl pkey -pubin -inform DER -in "$WORK/pub.der" > "$WORK/token.pub"
	openssl x509 -in "$STATE/cert.pem" -pubkey -noout > "$WORK/cert.pub"
	cmp -s "$WORK/token.pub" "$WORK/cert.pub" ||
		fail "cert.pem does not carry the token key $id"
	openssl x509 -in "$STATE/chain.pem" > "$WORK/leaf.pem"
	openssl x509 -in "$STATE/cert.pem" > "$WORK/cert-only.pem"
	cmp -s "$WORK/leaf.pem" "$WORK/cert-only.pem" ||
		fail "the leaf of chain.pem is not cert.pem"
	openssl verify -CAfile "$STATE/ca.pem" "$WORK/leaf.pem" >/dev/null ||
		fail "chain.pem does not verify against ca.pem"
	leftovers=$(ls -A "$STATE" | grep -e '\.tmp$' -e '^next-' || true)
	[ -z "$leftovers" ] || fail "leftover files in the state directory:" \
		$leftovers
	for field in rotation_step pending_key_id previous_key_id; do
		expect_equal "$(json_field "$STATE/state.json" $field)" \
			undefined "state.json $field"
	done
}

# Renewal by itself: 20-second certificates, at least three renewals in a
# row, a new key each time, never more than two key pairs on the token,
# exactly one after each renewal (counted by the post-renew hook).
case_daemon_renews_20s_certificates() {
	trap cleanup_daemon EXIT
	admin /admin/config '{"validity_seconds":20}' >/dev/null
	connect_fresh
	# The hook gets a fixed environment, so it names the token's config.
	cat > "$WORK/hook.sh" <<HOOK
#!/bin/sh
export SOFTHSM2_CONF="$SOFTHSM2_CONF"
n=\$(pkcs11-tool --module "$MODULE" --token-label compass --login \\
	--pin "\$(cat "$PIN_FILE")" --list-objects 2>/dev/null |
	grep -c '^Private Key Object')
echo "\$COMPASS_AGENT_SERIAL \$n \$COMPASS_AGENT_NOT_AFTER" >> "$WORK/hook.log"
[ -f "\$COMPASS_AGENT_CHAIN_FILE" ] || echo "no chain file" >> "$WORK/hook.log"
HOOK
	chmod 700 "$WORK/hook.sh"
	COMPASS_AGENT_TEST_TIME_SCALE=0.05 start_daemon \
		--post-renew-hook "$WORK/hook.sh"
	max=1
	n=0
	while ! renewals_at_least 3; do
		keys=$(count_objects 'Private Key')
		[ "$keys" -gt "$max" ] && max=$keys
		n=$((n + 1))
		[ "$n" -lt 250 ] || { fail "fewer than 3 renewals in 60 s"; break; }
		sleep 0.2
	done
	stop_daemon
	[ "$max" -le 2 ] || fail "the token held $max private keys at once"
	generated=$(grep -o 'generated key [0-9a-f]*' "$WORK/daemon.err" |
		sort -u | wc -l)
	[ "$generated" -ge 3 ] || fail "only $generated new keys for 3 renewals"
	[ -f "$WORK/hook.log" ] || fail "the post-renew hook never ran"
	hooks=$(wc -l < "$WORK/hook.log")
	[ "$hooks" -ge 3 ] || fail "the hook ran $hooks times, expected 3"
	expect_not_contains "$WORK/hook.log" "no chain file"
	awk '$2 != 1 { bad = 1 } END { exit bad }' "$WORK/hook.log" ||
		fail "not exactly one private key after a renewal:" \
			"$(cat "$WORK/hook.log")"
	expect_one_generation
}

# SIGUSR1 renews at once, and the request after the renewal presents the
# new certificate.
case_sigusr1_renews_with_new_cert() {
	trap cleanup_daemon EXIT
	connect_fresh
	COMPASS_AGENT_TEST_TIME_SCALE=0.05 start_daemon
	wait_for 10 grep -q 'renewal daemon started' "$WORK/daemon.err"
	sleep 0.5
	kill -USR1 "$DAEMON_PID"
	wait_for 10 renewals_at_least 1 || fail "no renewal after SIGUSR1"
	stop_daemon
	expect_contains "$WORK/daemon.err" "renewing now on SIGUSR1"
	node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").trim()
	.split("\n").map(JSON.parse);
const i = lines.findIndex((l, k) => k > 1 &&
	l.operation === "signCertificateSigningRequest" && l.issued_sha256);
if (i < 0 || i + 1 >= lines.length) {
	console.log("# FAIL: no request after the renewal"); process.exit(1);
}
if (lines[i + 1].cert_sha256 !== lines[i].issued_sha256) {
	console.log("# FAIL: request after the renewal presented " +
		lines[i + 1].cert_sha256 + ", not the new " + lines[i].issued_sha256);
	process.exit(1);
}
' "$REQUEST_LOG"
	expect_equal "$(json_field "$STATE/state.json" certificate_sha256)" \
		"$(openssl x509 -in "$STATE/cert.pem" -outform DER |
			sha256sum | cut -d' ' -f1)" "state hash of cert.pem"
	expect_one_generation
}

# Connector down: at most one signing attempt per backoff slot, the old
# certificate stays, and the renewal succeeds within one slot after the
# Connector responds again. With 60 s certificates and time scale 0.1 the
# backoff is between 3 s and the cap of 5 % of the lifetime, also 3 s.
case_connector_down_backs_off() {
	trap cleanup_daemon EXIT
	admin /admin/config '{"validity_seconds":60}' >/dev/null
	connect_fresh
	old_sha=$(json_field "$STATE/state.json" certificate_sha256)
	cp "$STATE/chain.pem" "$WORK/old-chain.pem"
	admin /admin/fault '{"mode":"http-503","endpoint":"mtls"}' >/dev/null
	COMPASS_AGENT_TEST_TIME_SCALE=0.1 start_daemon --renew-before 95%
	wait_for 10 log_at_least 1 signCertificateSigningRequest http-503 ||
		fail "no signing attempt within 10 s"
	start=$(date +%s)
	sleep 12
	attempts=$(count_log signCertificateSigningRequest http-503)
	elapsed=$(( $(date +%s) - start ))
	# The first attempt came at start, then one per 3 s slot at most.
	allowed=$(( elapsed / 3 + 2 ))
	[ "$attempts" -le "$allowed" ] ||
		fail "$attempts attempts in $elapsed s, allowed $allowed"
	[ "$attempts" -ge 3 ] || fail "only $attempts attempts in $elapsed s"
	expect_equal "$(json_field "$STATE/state.json" certificate_sha256)" \
		"$old_sha" "certificate while the Connector is down"
	cmp -s "$STATE/chain.pem" "$WORK/old-chain.pem" ||
		fail "chain.pem changed while the Connector was down"
	expect_equal "$(count_objects 'Private Key')" 1 \
		"private keys while the Connector is down"

	admin /admin/fault '{"mode":"none"}' >/dev/null
	back=$(date +%s.%N)
	wait_for 10 log_at_least 1 signCertificateSigningRequest \
		'"outcome":"ok"' ||
		fail "no renewal within 10 s after the Connector returned"
	took=$(awk -v now="$(date +%s.%N)" -v back="$back" \
		'BEGIN { printf "%.2f", now - back }')
	# One slot (3 s) plus the time of the renewal itself.
	awk -v took="$took" 'BEGIN { exit !(took <= 4.5) }' ||
		fail "renewed $took s after the Connector returned"
	wait_for 10 renewals_at_least 1
	stop_daemon
	expect_contains "$WORK/daemon.err" "renewal failed (attempt 1)"
	expect_one_generation
}

# A revoked certificate: the daemon logs it and waits. A one-time token
# dropped into the file connects again, and the file is deleted.
case_token_file_reconnects_after_revocation() {
	trap cleanup_daemon EXIT
	connect_fresh
	old_client=$(json_field "$STATE/state.json" client_id)
	expect_exit 0 tagent revoke --yes
	COMPASS_AGENT_TEST_TIME_SCALE=0.05 start_daemon \
		--one-time-token-file "$WORK/new-token"
	wait_for 10 grep -q 'waiting for a new one-time token' \
		"$WORK/daemon.err" || fail "the daemon did not report revocation"
	expect_equal "$(json_field "$STATE/state.json" revoked)" true \
		"state before the token arrives"
	issue_token token "$WORK/new-token.part"
	mv "$WORK/new-token.part" "$WORK/new-token"
	wait_for 15 token_file_gone ||
		fail "the token file is still there after 15 s"
	stop_daemon
	expect_contains "$WORK/daemon.err" "connected again"
	expect_equal "$(json_field "$STATE/state.json" revoked)" false \
		"state after the token arrived"
	new_client=$(json_field "$STATE/state.json" client_id)
	[ "$new_client" != "$old_client" ] ||
		fail "the client id did not change"
	expect_one_generation
}

token_file_gone() {
	[ ! -e "$WORK/new-token" ]
}

# SIGHUP reloads the config file: a larger renew-before makes the
# certificate due at once.
case_env_pin_survives_reload() {
	trap cleanup_daemon EXIT
	admin /admin/config '{"validity_seconds":120}' >/dev/null
	connect_fresh
	printf '#!/bin/sh\necho "$COMPASS_AGENT_SERIAL" >> %s\n' \
		"$WORK/hook.log" > "$WORK/hook.sh"
	chmod 700 "$WORK/hook.sh"
	printf 'post-renew-hook = %s\n' "$WORK/hook.sh" > "$WORK/agent.conf"
	# The PIN comes from the environment, which can be read only once.
	COMPASS_TEST_PIN=$(cat "$PIN_FILE") COMPASS_AGENT_TEST_TIME_SCALE=0.05 \
		"$TEST_AGENT" --module "$MODULE" --token "$TOKEN_URI" \
		--pin-source env:COMPASS_TEST_PIN --ca-file "$CA_FILE" \
		--state-dir "$STATE" -c "$WORK/agent.conf" run \
		>"$WORK/daemon.out" 2>"$WORK/daemon.err" &
	DAEMON_PID=$!
	wait_for 10 grep -q 'renewal daemon started' "$WORK/daemon.err"
	kill -USR1 "$DAEMON_PID"
	wait_for 20 renewals_at_least 1 || fail "no renewal before the reload"
	# A reload drops the token session, so the next renewal logs in again.
	kill -HUP "$DAEMON_PID"
	wait_for 10 grep -q 'reloaded the configuration' "$WORK/daemon.err"
	# A rejected reload keeps every old setting, the hook included.
	printf 'post-renew-hook = relative/hook.sh\n' > "$WORK/agent.conf"
	kill -HUP "$DAEMON_PID"
	wait_for 10 grep -q 'previous settings stay in use' "$WORK/daemon.err" ||
		fail "the rejected reload was not reported"
	sleep 2
	kill -USR1 "$DAEMON_PID"
	wait_for 20 renewals_at_least 2 ||
		fail "no renewal after the reload: $(tail -n 5 "$WORK/daemon.err")"
	stop_daemon
	expect_not_contains "$WORK/daemon.err" "variable is not set"
	expect_not_contains "$WORK/daemon.err" "relative/hook.sh must"
	wait_for 10 test "$(wc -l < "$WORK/hook.log")" -ge 2 ||
		fail "the old hook did not run after the rejected reload"
}

case_sighup_reloads_config() {
	trap cleanup_daemon EXIT
	admin /admin/config '{"validity_seconds":120}' >/dev/null
	connect_fresh
	printf 'renew-before = 5%%\n' > "$WORK/agent.conf"
	COMPASS_AGENT_TEST_TIME_SCALE=0.05 start_daemon -c "$WORK/agent.conf"
	wait_for 10 grep -q 'renewal daemon started' "$WORK/daemon.err"
	sleep 1
	renewals_at_least 1 && fail "renewed before the reload"
	printf 'renew-before = 99%%\n' > "$WORK/agent.conf"
	kill -HUP "$DAEMON_PID"
	wait_for 10 renewals_at_least 1 || fail "no renewal after SIGHUP"
	stop_daemon
	expect_contains "$WORK/daemon.err" "reloaded the configuration"
	expect_one_generation
}

# SIGTERM while a request hangs: the daemon exits 0 within 5 s, and the
# next renewal recovers and succeeds.
case_sigterm_during_hung_request() {
	trap cleanup_daemon EXIT
	connect_fresh
	admin /admin/fault '{"mode":"slow-body","operation":"signCertificateSigningRequest"}' \
		>/dev/null
	COMPASS_AGENT_TEST_TIME_SCALE=0.05 start_daemon
	wait_for 10 grep -q 'renewal daemon started' "$WORK/daemon.err"
	kill -USR1 "$DAEMON_PID"
	wait_for 10 grep -q 'sending the certificate signing request' \
		"$WORK/daemon.err" || fail "the renewal did not start"
	sleep 0.5
	stop_daemon
	admin /admin/fault '{"mode":"none"}' >/dev/null
	expect_exit 0 tagent renew --force
	expect_one_generation
}

# The daemon killed inside its own renewal finishes it after a restart.
case_daemon_recovers_after_kill() {
	trap cleanup_daemon EXIT
	connect_fresh
	COMPASS_AGENT_CRASH_AT=after-rename:state.json@3 \
		COMPASS_AGENT_TEST_TIME_SCALE=0.05 start_daemon
	wait_for 10 grep -q 'renewal daemon started' "$WORK/daemon.err"
	kill -USR1 "$DAEMON_PID"
	status=0
	wait "$DAEMON_PID" || status=$?
	DAEMON_PID=
	expect_equal "$status" 137 "exit status at the crash point"
	expect_contains "$WORK/daemon.err" "crash point after-rename:state.json@3"
	expect_equal "$(json_field "$STATE/state.json" rotation_step)" install \
		"step recorded at the crash"
	mv "$WORK/daemon.err" "$WORK/crashed.err"
	COMPASS_AGENT_TEST_TIME_SCALE=0.05 start_daemon
	wait_for 10 grep -q 'renewed: ' "$WORK/daemon.err" ||
		fail "the restarted daemon did not finish the rotation"
	stop_daemon
	expect_one_generation
	expect_exit 0 tagent renew --force
	expect_one_generation
}

# Crash matrix: kill renew --force at each named point, then let renew
# recover (without a renewal, since none is due), check that one
# consistent generation is active, and renew once more.
crash_at() {
	connect_fresh
	got=0
	COMPASS_AGENT_CRASH_AT=$CRASH_POINT tagent renew --force \
		>"$WORK/crash.out" 2>"$WORK/crash.err" || got=$?
	expect_equal "$got" 137 "exit status of renew at $CRASH_POINT"
	expect_contains "$WORK/crash.err" "crash point $CRASH_POINT reached"
	expect_exit 0 tagent renew
	expect_one_generation
	expect_exit 0 tagent renew --force
	expect_one_generation
}

CRASH_POINTS="after-key-generation after-response-received after-response-parsed
after-certificate-stored
after-install:ca.pem after-install:chain.pem after-install:cert.pem
before-delete-old after-delete-old"
for file in next-ca.pem next-chain.pem next-cert.pem; do
	for step in after-temp-write after-fsync after-rename; do
		CRASH_POINTS="$CRASH_POINTS $step:$file"
	done
done
# The state file is written five times per renewal; see agent/enroll.h.
for n in 1 2 3 4 5; do
	for step in after-temp-write after-fsync after-rename; do
		CRASH_POINTS="$CRASH_POINTS $step:state.json@$n"
	done
done

run_case "daemon renews 20s certificates" case_daemon_renews_20s_certificates
run_case "SIGUSR1 renews with new cert" case_sigusr1_renews_with_new_cert
run_case "Connector down backs off" case_connector_down_backs_off
run_case "token file reconnects after revocation" \
	case_token_file_reconnects_after_revocation
run_case "SIGHUP reloads config" case_sighup_reloads_config
run_case "env PIN survives reload" case_env_pin_survives_reload
run_case "SIGTERM during hung request" case_sigterm_during_hung_request
run_case "daemon recovers after kill" case_daemon_recovers_after_kill
for CRASH_POINT in $CRASH_POINTS; do
	export CRASH_POINT
	run_case "crash at $CRASH_POINT" crash_at
done
finish
