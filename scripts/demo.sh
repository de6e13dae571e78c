#!/bin/sh
# The main job of compass-agent on a throwaway SoftHSM token against the
# local test Connector, explained step by step. Nothing outside a temporary
# directory is touched, and nothing leaves this machine (loopback only).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
agent="$root/compass-agent"
work=$(mktemp -d "${TMPDIR:-/tmp}/compass-agent-demo.XXXXXX")
mock_pid=

cleanup() {
	if [ -n "$mock_pid" ]; then
		kill "$mock_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

say() {
	printf '\n\033[1m== %s\033[0m\n' "$*"
}

explain() {
	printf '%s\n' "$*" | fold -s -w 76
}

run() {
	printf '$ compass-agent %s\n' "$*"
	"$agent" --module "$MODULE" --token "$TOKEN_URI" \
		--pin-source "file:$PIN_FILE" --ca-file "$work/mock/server-ca.pem" \
		--state-dir "$work/state" "$@"
}

say "1. A throwaway token and a local Compass Connector"
eval "$(sh "$root/softhsm/make-token.sh" "$work/token" compass)"
export SOFTHSM2_CONF
explain "Created SoftHSM token 'compass' in $work/token, with a random \
user PIN in $PIN_FILE (mode 0600). compass-agent reads the PIN from that \
file; it never appears on a command line."
eval "$(sh "$root/tests/compass-mock/start.sh" "$work/mock" $$)"
mock_pid=$MOCK_PID
explain "Started the test Connector on https://localhost:$TOKEN_PORT \
(one-time token endpoint) and https://localhost:$MTLS_PORT (mutual TLS \
endpoint). Its server certificate comes from a test CA that the demo \
passes with --ca-file."

say "2. An administrator issues a one-time token"
curl -sS -X POST -H 'Content-Type: application/json' --data '{}' \
	"http://127.0.0.1:$ADMIN_PORT/admin/token" > "$work/issued.json"
node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).rawEncoded)' \
	"$work/issued.json" > "$work/one-time-token"
chmod 600 "$work/one-time-token"
explain "Saved the Director's rawEncoded form in $work/one-time-token. It \
carries the token and the Connector URL; the token works exactly once."

say "3. connect: key pair on the token, CSR, certificate"
explain "Each command below also gets --module $MODULE --token $TOKEN_URI \
--pin-source file:$PIN_FILE --ca-file (the test server CA) and --state-dir \
$work/state; in real use these go in /etc/compass-agent/agent.conf."
run connect --one-time-token-file "$work/one-time-token"
explain "The private key was generated inside the token and cannot be \
exported. The agent built the certificate signing request through OpenSSL's \
pkcs11-provider, so the token signed it; the Connector returned a \
certificate for exactly that key, which the agent checked and stored on the \
token and in $work/state."

say "4. status: what is stored, and what the token says about the key"
run status

say "5. config: a call over mutual TLS with the token-held key"
run config

say "6. renew --force: a new key, a new certificate, the old key deleted"
run renew --force
explain "The new key was made beside the old one. Only after the new \
certificate was checked, committed and used for one mutual TLS call did the \
agent delete the old key and certificate from the token."

say "7. status after the renewal"
run status
due=$("$agent" --module "$MODULE" --token "$TOKEN_URI" \
	--pin-source "file:$PIN_FILE" --state-dir "$work/state" --json status |
	node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).renewal.due))')
explain "The certificate will be renewed after $due, when less than 30 % of \
its lifetime is left. Run 'compass-agent renew' from a daily systemd timer \
or cron job: it does nothing until the renewal is due."

say "Done"
explain "Everything lived in $work and is removed now. See README.md for \
running compass-agent against a real Compass with a hardware token."
