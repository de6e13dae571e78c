#!/bin/sh
# The TLS policy: every way the server can fail to prove itself ends with
# exit 5 and a message that names the cause, and the one-time token is
# never sent to such a server.
. "$(dirname "$0")/lib.sh"

# Connect and expect exit 5 with a message containing $1.
connect_refused() {
	issue_token token "$WORK/ott"
	expect_exit 5 agent "$@" connect \
		--connector-url "https://localhost:$TOKEN_PORT/connector/graphql" \
		--one-time-token-file "$WORK/ott"
}

spki_pin() {
	openssl x509 -in "$1" -noout -pubkey |
		openssl pkey -pubin -outform DER |
		openssl dgst -sha256 -binary | base64 -w0
}

case_wrong_host_name_exits_5() {
	admin /admin/server-cert '{"endpoint":"both","kind":"wrong-host"}' >/dev/null
	connect_refused
	expect_contains "$WORK/err" "localhost"
	expect_equal "$(log_lines)" 0 "Connector requests"
}

case_expired_server_certificate_exits_5() {
	admin /admin/server-cert '{"endpoint":"both","kind":"expired"}' >/dev/null
	connect_refused
	expect_contains "$WORK/err" "expired"
	expect_equal "$(log_lines)" 0 "Connector requests"
}

case_tls_1_1_server_exits_5() {
	admin /admin/tls '{"endpoint":"token","max_version":"TLSv1.1","min_version":"TLSv1"}' >/dev/null
	connect_refused
	expect_contains "$WORK/err" "SSL\|TLS\|version"
	expect_equal "$(log_lines)" 0 "Connector requests"
}

case_redirect_exits_5() {
	admin /admin/fault '{"mode":"redirect","count":1}' >/dev/null
	connect_refused
	expect_contains "$WORK/err" "redirect"
}

case_server_key_pin_checked() {
	good=$(spki_pin "$WORK/mock/server.pem")
	other=$(spki_pin "$WORK/mock/server-other-ca.pem")
	connect_refused --server-key-pin "sha256//$other"
	expect_contains "$WORK/err" "pinned\|public key"
	expect_equal "$(log_lines)" 0 "Connector requests"
	issue_token token "$WORK/ott"
	expect_exit 0 agent --server-key-pin "sha256//$other;sha256//$good" \
		connect --one-time-token-file "$WORK/ott" \
		--connector-url "https://localhost:$TOKEN_PORT/connector/graphql"
	expect_exit 0 agent --server-key-pin "sha256//$good" renew --force
	expect_exit 2 agent --server-key-pin "/etc/some/file.pem" status
	expect_contains "$WORK/err" "server-key-pin"
}

run_case "wrong host name exits 5" case_wrong_host_name_exits_5
run_case "expired server certificate exits 5" case_expired_server_certificate_exits_5
run_case "TLS 1.1 server exits 5" case_tls_1_1_server_exits_5
run_case "redirect exits 5" case_redirect_exits_5
run_case "server key pin checked" case_server_key_pin_checked
finish
