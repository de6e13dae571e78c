#!/bin/sh
# Every fault mode of the test Connector ends connect and renew with the
# documented exit code: 5 for transport, HTTP, malformed and oversized
# responses, 6 for GraphQL errors and issued certificates that fail
# verification. A failed renewal leaves the old credentials untouched.
#
# Several faults run in one case, one after another, so that the suite
# needs only a few tokens and test Connectors.
. "$(dirname "$0")/lib.sh"

KEY_LABEL=compass-agent
# Total time limit of one request; slow-body sends a byte a second forever.
REQUEST_TIMEOUT=3

connect_url() {
	echo "https://localhost:$TOKEN_PORT/connector/graphql"
}

set_fault() {
	admin /admin/fault "$1" > /dev/null
}

# fault_json ENDPOINT OPERATION MODE [FIELD]: the admin API's JSON for a
# fault on the next matching request only.
fault_json() {
	printf '{"mode":"%s","count":1,"endpoint":"%s","operation":"%s"%s}' \
		"$3" "$1" "$2" "${4:+,\"field\":\"$4\"}"
}

# Count the token's objects of class $1 ("Private Key", "Public Key",
# "Certificate") labelled $KEY_LABEL. The test token's PIN is on the
# test's own argv.
count_objects() {
	pkcs11-tool --module "$MODULE" --token-label compass --login \
		--pin "$(cat "$PIN_FILE")" --list-objects 2>/dev/null |
		awk -v class="$1 Object" -v label="$KEY_LABEL" '
			index($0, class) == 1 { in_class = 1; next }
			/Object;/ { in_class = 0 }
			in_class && $1 == "label:" && $2 == label { n++ }
			END { print n + 0 }'
}

# connect_under_fault EXIT FAULT: connect with a new one-time token while
# FAULT (the admin API's JSON, for the token port) is active, and expect
# exit status EXIT and a token without keys or certificates afterwards.
connect_under_fault() {
	issue_token token "$WORK/ott"
	set_fault "$2"
	echo "# connect under $2"
	expect_exit "$1" agent --timeout "$REQUEST_TIMEOUT" connect \
		--connector-url "$(connect_url)" --one-time-token-file "$WORK/ott"
	set_fault '{"mode":"none"}'
	expect_equal "$(count_objects 'Private Key')" 0 \
		"private keys after connect under $2"
	expect_equal "$(count_objects Certificate)" 0 \
		"certificates after connect under $2"
}

# configuration_fault EXIT MODE [FIELD]: a fault on the first call of
# connect, configuration.
configuration_fault() {
	connect_under_fault "$1" \
		"$(fault_json token configuration "$2" "${3:-}")"
}

# sign_fault_on_connect EXIT MODE [FIELD]: a fault on the second call of
# connect, signCertificateSigningRequest.
sign_fault_on_connect() {
	connect_under_fault "$1" \
		"$(fault_json token signCertificateSigningRequest "$2" "${3:-}")"
}

# Copy the credentials of the connected agent, to compare after a failure.
save_credentials() {
	mkdir -p "$WORK/saved"
	for f in state.json cert.pem chain.pem; do
		cp "$STATE/$f" "$WORK/saved/$f"
	done
}

expect_credentials_untouched() {
	for f in state.json cert.pem chain.pem; do
		cmp -s "$STATE/$f" "$WORK/saved/$f" ||
			fail "$f changed after a failed renewal under $1"
	done
	expect_equal "$(count_objects 'Private Key')" 1 \
		"private keys after renew under $1"
	expect_equal "$(count_objects 'Public Key')" 1 \
		"public keys after renew under $1"
	expect_equal "$(count_objects Certificate)" 1 \
		"certificates after renew under $1"
}

# renew_under_fault EXIT MODE [FIELD]: renew --force while the fault is
# active on signCertificateSigningRequest of the certificate-secured port.
renew_under_fault() {
	spec=$(fault_json mtls signCertificateSigningRequest "$2" "${3:-}")
	set_fault "$spec"
	echo "# renew under $spec"
	expect_exit "$1" agent --timeout "$REQUEST_TIMEOUT" renew --force
	set_fault '{"mode":"none"}'
	expect_credentials_untouched "$spec"
}

connect_fresh() {
	issue_token token "$WORK/ott"
	expect_exit 0 agent connect --connector-url "$(connect_url)" \
		--one-time-token-file "$WORK/ott"
	save_credentials
}

case_connect_configuration_faults() {
	for mode in http-500 http-503 http-429 data-null malformed-json \
		truncated-json truncated-body slow-body huge-body; do
		configuration_fault 5 "$mode"
	done
	configuration_fault 6 graphql-error
	# Every field that the agent needs from the configuration.
	for field in token token.token certificateSigningRequestInfo \
		certificateSigningRequestInfo.subject \
		certificateSigningRequestInfo.keyAlgorithm \
		managementPlaneInfo managementPlaneInfo.directorURL \
		managementPlaneInfo.certificateSecuredConnectorURL; do
		configuration_fault 5 missing-field "$field"
	done
	# A connect without a fault still succeeds on the same token.
	connect_fresh
}

case_connect_sign_faults() {
	for mode in http-500 http-503 http-429 data-null malformed-json \
		truncated-json truncated-body slow-body huge-body; do
		sign_fault_on_connect 5 "$mode"
	done
	sign_fault_on_connect 6 graphql-error
	for field in certificateChain caCertificate clientCertificate; do
		sign_fault_on_connect 5 missing-field "$field"
	done
	for mode in wrong-key-cert expired-cert not-yet-valid-cert \
		wrong-chain-order; do
		sign_fault_on_connect 6 "$mode"
	done
	connect_fresh
}

case_renew_faults_keep_credentials() {
	connect_fresh
	for mode in http-500 http-503 http-429 data-null malformed-json \
		truncated-json truncated-body slow-body huge-body; do
		renew_under_fault 5 "$mode"
	done
	renew_under_fault 6 graphql-error
	for field in certificateChain caCertificate clientCertificate; do
		renew_under_fault 5 missing-field "$field"
	done
	for mode in wrong-key-cert not-yet-valid-cert wrong-chain-order; do
		renew_under_fault 6 "$mode"
	done
	# The old credentials still work.
	expect_exit 0 agent renew --force
}

# An issued certificate that has expired fails verification (6). It is not
# the current certificate that expired (7), which only a new one-time token
# would fix.
case_renew_expired_issued_cert_exits_6() {
	connect_fresh
	renew_under_fault 6 expired-cert
	expect_exit 0 agent renew --force
}

run_case "connect: configuration faults" case_connect_configuration_faults
run_case "connect: signing faults" case_connect_sign_faults
run_case "renew: faults keep old credentials" \
	case_renew_faults_keep_credentials
run_case "renew: expired issued cert exits 6" \
	case_renew_expired_issued_cert_exits_6
finish
