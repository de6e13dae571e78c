#!/bin/sh
# The main job end to end: connect, config, renew, status, revoke on a real
# SoftHSM token against the test Connector.
. "$(dirname "$0")/lib.sh"

connect_fresh() {
	issue_token token "$WORK/ott"
	expect_exit 0 agent connect \
		--connector-url "https://localhost:$TOKEN_PORT/connector/graphql" \
		--one-time-token-file "$WORK/ott"
}

# Print the public key of the token's key with CKA_ID $1 as PEM.
token_public_key() {
	pkcs11-tool --module "$MODULE" --token-label compass --read-object \
		--type pubkey --id "$1" -o "$WORK/pub.der" >/dev/null 2>&1
	openssl pkey -pubin -inform DER -in "$WORK/pub.der"
}

case_full_lifecycle() {
	connect_fresh
	expect_exit 0 agent config
	expect_contains "$WORK/out" "subject:"
	expect_exit 0 agent renew --force
	expect_exit 0 agent renew --force --keep-key
	expect_exit 0 agent status
	expect_contains "$WORK/out" "state:         connected"
	expect_exit 0 agent revoke --yes
	got=0
	agent config > /dev/null 2>&1 || got=$?
	[ "$got" -eq 7 ] || [ "$got" -eq 6 ] ||
		fail "config after revoke exited $got, expected 7 or 6"
}

case_connector_log_shows_token_flow() {
	issue_token token "$WORK/ott"
	first=$(sha256_of "$(last_token)")
	expect_exit 0 agent connect \
		--connector-url "https://localhost:$TOKEN_PORT/connector/graphql" \
		--one-time-token-file "$WORK/ott"
	expect_equal "$(log_field 1 operation)" configuration "request 1"
	expect_equal "$(log_field 1 endpoint)" token "request 1 endpoint"
	expect_equal "$(log_field 1 token_sha256)" "$first" "request 1 token"
	expect_equal "$(log_field 2 operation)" signCertificateSigningRequest \
		"request 2"
	expect_equal "$(log_field 2 endpoint)" token "request 2 endpoint"
	second=$(log_field 2 token_sha256)
	[ -n "$second" ] && [ "$second" != "$first" ] ||
		fail "the signing call did not use a second, different token"
	expect_equal "$(log_field 2 outcome)" ok "request 2 outcome"

	lines=$(log_lines)
	expect_exit 0 agent renew --force
	# After connect, every call goes to the certificate-secured endpoint.
	n=$((lines + 1))
	while [ "$n" -le "$(log_lines)" ]; do
		expect_equal "$(log_field $n endpoint)" mtls "request $n endpoint"
		n=$((n + 1))
	done
	signs=$(tail -n +"$((lines + 1))" "$REQUEST_LOG" |
		grep -c '"operation":"signCertificateSigningRequest"')
	expect_equal "$signs" 1 "signing calls in the renewal"
}

case_token_holds_one_protected_key() {
	connect_fresh
	expect_equal "$(count_objects 'Private Key')" 1 "private keys"
	expect_equal "$(count_objects Certificate)" 1 "certificates"
	token_objects > "$WORK/objects"
	grep -A6 '^Private Key Object' "$WORK/objects" > "$WORK/private"
	expect_contains "$WORK/private" "never extractable"
	expect_contains "$WORK/private" "always sensitive"
	key_id=$(grep 'ID:' "$WORK/private" | awk '{print $2}')
	cert_id=$(grep -A6 '^Certificate Object' "$WORK/objects" |
		grep 'ID:' | awk '{print $2}')
	expect_equal "$cert_id" "$key_id" "certificate ID"

	expect_exit 0 agent renew --force
	expect_equal "$(count_objects 'Private Key')" 1 "private keys after renewal"
	expect_equal "$(count_objects 'Public Key')" 1 "public keys after renewal"
	expect_equal "$(count_objects Certificate)" 1 "certificates after renewal"
	token_objects > "$WORK/objects"
	new_id=$(grep -A6 '^Private Key Object' "$WORK/objects" |
		grep 'ID:' | awk '{print $2}')
	[ "$new_id" != "$key_id" ] || fail "the renewal did not rotate the key"
}

case_chain_verifies_and_matches_token_key() {
	connect_fresh
	openssl verify -CAfile "$CLIENT_CA" -untrusted "$STATE/chain.pem" \
		"$STATE/cert.pem" > /dev/null || fail "chain.pem does not verify"
	openssl x509 -in "$STATE/chain.pem" -noout -fingerprint -sha256 > "$WORK/a"
	openssl x509 -in "$STATE/cert.pem" -noout -fingerprint -sha256 > "$WORK/b"
	cmp -s "$WORK/a" "$WORK/b" || fail "chain.pem does not start with the leaf"
	key_id=$(json_field "$STATE/state.json" key_id)
	openssl x509 -in "$STATE/cert.pem" -noout -pubkey > "$WORK/cert-key.pem"
	token_public_key "$key_id" > "$WORK/token-key.pem"
	cmp -s "$WORK/cert-key.pem" "$WORK/token-key.pem" ||
		fail "the leaf's public key differs from the token key"
	openssl x509 -in "$STATE/cert.pem" -noout -ext extendedKeyUsage |
		grep -q 'TLS Web Client Authentication' ||
		fail "the leaf lacks clientAuth"
}

case_renewal_uses_current_certificate() {
	connect_fresh
	old_sha=$(json_field "$STATE/state.json" certificate_sha256)
	lines=$(log_lines)
	expect_exit 0 agent renew --force
	new_sha=$(json_field "$STATE/state.json" certificate_sha256)
	[ "$old_sha" != "$new_sha" ] || fail "renew kept the same certificate"
	sign_line=$((lines + 1))
	expect_equal "$(log_field $sign_line operation)" \
		signCertificateSigningRequest "first renewal request"
	expect_equal "$(log_field $sign_line cert_sha256)" "$old_sha" \
		"certificate presented for the renewal"
	# The proof call right after presents the new certificate.
	expect_equal "$(log_field -1 cert_sha256)" "$new_sha" \
		"certificate presented after the renewal"
}

case_status_json_fields() {
	connect_fresh
	expect_exit 0 agent --json status
	for field in state certificate.subject certificate.issuer \
		certificate.serial certificate.sha256 certificate.not_before \
		certificate.not_after key.uri key.type key.bits key.sensitive \
		key.extractable key.always_sensitive key.never_extractable \
		key.local renewal.due urls.connector \
		urls.certificate_secured_connector urls.director; do
		v=$(json_field "$WORK/out" "$field")
		[ "$v" != undefined ] || fail "status --json lacks $field"
	done
	expect_equal "$(json_field "$WORK/out" state)" connected "state"
	expect_equal "$(json_field "$WORK/out" key.never_extractable)" true \
		"key.never_extractable"
	expect_equal "$(json_field "$WORK/out" key.extractable)" false \
		"key.extractable"
	expect_exit 0 agent --json config
	for field in subject key_algorithm director_url \
		certificate_secured_connector_url; do
		v=$(json_field "$WORK/out" "$field")
		[ "$v" != undefined ] || fail "config --json lacks $field"
	done
}

case_renew_not_due_does_nothing() {
	connect_fresh
	lines=$(log_lines)
	expect_exit 0 agent renew
	expect_contains "$WORK/out" "not due"
	expect_equal "$(log_lines)" "$lines" "requests made by a renew not due"
}

case_connect_with_each_token_form() {
	for form in raw rawEncoded; do
		rm -rf "$STATE"
		issue_token "$form" "$WORK/ott"
		expect_exit 0 agent connect --one-time-token-file "$WORK/ott"
	done
	rm -rf "$STATE"
	issue_token token "$WORK/ott"
	got=0
	agent connect --connector-url \
		"https://localhost:$TOKEN_PORT/connector/graphql" \
		--one-time-token-file - < "$WORK/ott" > /dev/null 2>&1 || got=$?
	expect_equal "$got" 0 "connect from standard input"
}

case_ec_keys_work_end_to_end() {
	issue_token raw "$WORK/ott"
	expect_exit 0 agent connect --key-type ec:p256 \
		--one-time-token-file "$WORK/ott"
	expect_exit 0 agent --json status
	expect_equal "$(json_field "$WORK/out" key.type)" ec:p256 "key type"
	expect_exit 0 agent renew --force
	expect_exit 0 agent config
}

case_server_side_revocation_exits_7() {
	connect_fresh
	# Another copy of the state revokes the certificate at the Connector,
	# so the local state still records a connection.
	cp -a "$STATE" "$WORK/copy"
	expect_exit 0 "$AGENT" --module "$MODULE" --token "$TOKEN_URI" \
		--pin-source "file:$PIN_FILE" --ca-file "$CA_FILE" \
		--state-dir "$WORK/copy" revoke --yes
	expect_exit 7 agent config
	expect_contains "$WORK/err" "new one-time token"
	expect_exit 7 agent renew --force
	expect_exit 0 agent status
}

case_status_before_connect() {
	expect_exit 0 agent --json status
	expect_equal "$(json_field "$WORK/out" state)" not-connected "state"
	[ ! -e "$STATE" ] || fail "status created the state directory"
}

case_missing_ca_file_exits_2() {
	expect_exit 2 "$AGENT" --ca-file "$WORK/no-such-ca.pem" \
		--state-dir "$STATE" status
	expect_contains "$WORK/err" "no-such-ca.pem"
}

case_status_reports_inconsistent_state() {
	connect_fresh
	expect_exit 0 agent --json status
	expect_equal "$(json_field "$WORK/out" problems)" "[]" "problems"
	# A certificate for another key, as a botched manual restore leaves.
	cp "$WORK/mock/server.pem" "$STATE/cert.pem"
	expect_exit 8 agent --json status
	expect_contains "$WORK/out" "cert.pem is not for the key on the token"
	expect_equal "$(json_field "$WORK/out" error.exit_code)" 8 "exit code"
	# A chain for another key stops mTLS calls with a clear message.
	cp "$WORK/mock/server.pem" "$STATE/chain.pem"
	expect_exit 8 agent config
	expect_contains "$WORK/err" "chain.pem is not for key"
}

run_case "full lifecycle on a fresh token" case_full_lifecycle
run_case "connector log shows token flow" case_connector_log_shows_token_flow
run_case "token holds one protected key" case_token_holds_one_protected_key
run_case "chain verifies, leaf has token key" case_chain_verifies_and_matches_token_key
run_case "renewal presents current certificate" case_renewal_uses_current_certificate
run_case "status and config JSON fields" case_status_json_fields
run_case "renew when not due does nothing" case_renew_not_due_does_nothing
run_case "connect with every token form" case_connect_with_each_token_form
run_case "EC key connects and renews" case_ec_keys_work_end_to_end
run_case "server-side revocation exits 7" case_server_side_revocation_exits_7
run_case "missing CA file exits 2" case_missing_ca_file_exits_2
run_case "status before connect" case_status_before_connect
run_case "status reports inconsistent state" case_status_reports_inconsistent_state
finish
