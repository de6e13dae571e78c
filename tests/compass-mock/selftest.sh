#!/bin/bash
# Self-test of the test Connector with curl and openssl: token flow, CSR
# signing, mTLS, revocation, request log, faults, server certificates and
# lifetime. Prints one line per check and "N passed, N failed" at the end.
# Usage: tests/compass-mock/selftest.sh [WORK_DIR]
set -u

here=$(cd "$(dirname "$0")" && pwd)
work=${1:-$(mktemp -d /tmp/compass-mock-selftest.XXXXXX)}
mkdir -p "$work"
dir=$work/mock
passed=0
failed=0

check() { # check NAME COMMAND...
    local name=$1
    shift
    if "$@" >/dev/null 2>&1; then
        passed=$((passed + 1))
        echo "ok $((passed + failed)) - $name"
    else
        failed=$((failed + 1))
        echo "not ok $((passed + failed)) - $name"
    fi
}

contains() { # contains TEXT PATTERN
    grep -q -- "$2" <<<"$1"
}

json_get() { # json_get FILE_OR_- JS_EXPRESSION_ON_v
    node -e 'const fs = require("fs");
const v = JSON.parse(fs.readFileSync(process.argv[1] === "-" ? 0 : process.argv[1], "utf8"));
const r = eval(process.argv[2]);
process.stdout.write(typeof r === "string" ? r : JSON.stringify(r));' "$1" "$2"
}

is_json() { # is_json FILE
    node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$1"
}
export -f is_json

admin() { # admin METHOD PATH [JSON]
    curl -s -X "$1" "http://127.0.0.1:$ADMIN_PORT$2" ${3:+-d "$3"}
}

new_token() { # new_token [JSON]
    admin POST /admin/token "${1:-{\}}" | json_get - v.token
}

# gql_token TOKEN BODY_FILE -> prints body then a line "HTTP <status>"
gql_token() {
    curl -s --max-time 10 --cacert "$dir/server-ca.pem" -H "Connector-Token: $1" \
        -H 'Content-Type: application/json' --data-binary "@$2" \
        -w '\nHTTP %{http_code}' "https://localhost:$TOKEN_PORT/connector/graphql"
}

# gql_cert CERT KEY BODY_FILE [PATH]
gql_cert() {
    curl -s --max-time 10 --cacert "$dir/server-ca.pem" --cert "$1" --key "$2" \
        -H 'Content-Type: application/json' --data-binary "@$3" \
        -w '\nHTTP %{http_code}' "https://localhost:$MTLS_PORT${4:-/connector/graphql}"
}

# Writes a signCertificateSigningRequest body for KEY and SUBJECT to FILE.
make_sign_body() { # make_sign_body KEY SUBJECT FILE
    local subj
    subj="/$(tr ',' '/' <<<"$2")"
    openssl req -new -key "$1" -sha256 -utf8 -subj "$subj" -out "$3.csr"
    node -e 'process.stdout.write(JSON.stringify({
  query: "mutation($csr: String!) { signCertificateSigningRequest(csr: $csr) { certificateChain caCertificate clientCertificate } }",
  variables: { csr: require("fs").readFileSync(process.argv[1]).toString("base64") } }))' "$3.csr" >"$3"
}

# Splits a sign response into OUT_PREFIXchain.pem, OUT_PREFIXca.pem and OUT_PREFIXleaf.pem.
save_certs() { # save_certs RESPONSE_FILE OUT_PREFIX
    node -e 'const fs = require("fs");
const r = JSON.parse(fs.readFileSync(process.argv[1], "utf8").replace(/\nHTTP \d+$/, "")).data.signCertificateSigningRequest;
fs.writeFileSync(process.argv[2] + "chain.pem", Buffer.from(r.certificateChain, "base64"));
fs.writeFileSync(process.argv[2] + "ca.pem", Buffer.from(r.caCertificate, "base64"));
fs.writeFileSync(process.argv[2] + "leaf.pem", Buffer.from(r.clientCertificate, "base64"));' "$1" "$2"
}

sleeper_pid=
cleanup() {
    [ -n "${MOCK_PID:-}" ] && kill "$MOCK_PID" 2>/dev/null
    [ -n "$sleeper_pid" ] && kill "$sleeper_pid" 2>/dev/null
}
trap cleanup EXIT

# The mock watches this sleep process, so it also stops if this script is killed.
sleep 600 &
sleeper_pid=$!
eval "$("$here/start.sh" "$dir" "$sleeper_pid")" || exit 1
cd "$work" || exit 1

config_q='{"query":"query { configuration { token { token } certificateSigningRequestInfo { subject keyAlgorithm } managementPlaneInfo { directorURL certificateSecuredConnectorURL } } }"}'
printf '%s' "$config_q" >config.json
printf '%s' '{"query":"query { configuration() { token { token } } }"}' >empty-parens.json
printf '%s' '{"query":"mutation { revokeCertificate }"}' >revoke.json
printf '%s' '{"query":"{ viewer { id type } }"}' >viewer.json

echo "== files and ports"
check "ports.json has all ports" node -e 'const p = require(process.argv[1]); if (!(p.token && p.mtls && p.admin && p.pid)) process.exit(1)' "$dir/ports.json"
check "server key mode is 0600" test "$(stat -c %a "$dir/server-key.pem")" = 600
check "client CA key mode is 0600" test "$(stat -c %a "$dir/client-ca-key.pem")" = 600
check "server cert verifies for localhost" openssl verify -CAfile "$dir/server-ca.pem" -verify_hostname localhost "$dir/server.pem"
check "server cert verifies for 127.0.0.1" openssl verify -CAfile "$dir/server-ca.pem" -verify_ip 127.0.0.1 "$dir/server.pem"
check "wrong-host cert fails for localhost" bash -c "! openssl verify -CAfile '$dir/server-ca.pem' -verify_hostname localhost '$dir/server-wrong-host.pem'"
check "expired server cert fails" bash -c "! openssl verify -CAfile '$dir/server-ca.pem' '$dir/server-expired.pem'"
check "other-ca cert fails with server CA" bash -c "! openssl verify -CAfile '$dir/server-ca.pem' '$dir/server-other-ca.pem'"

echo "== token flow"
admin POST /admin/token '{}' >token1.json
token1=$(json_get token1.json v.token)
check "token is 88 characters" test "${#token1}" -eq 88
check "rawEncoded decodes to raw" test "$(json_get token1.json v.raw)" = "$(json_get token1.json v.rawEncoded | base64 -d)"
check "connectorURL uses the token port" test "$(json_get token1.json v.connectorURL)" = "https://localhost:$TOKEN_PORT/connector/graphql"
gql_token "$token1" config.json >conf1.out
check "configuration with token succeeds" contains "$(cat conf1.out)" '"keyAlgorithm":"rsa2048"'
sed '$d' conf1.out >conf1.json
token2=$(json_get conf1.json v.data.configuration.token.token)
subject=$(json_get conf1.json v.data.configuration.certificateSigningRequestInfo.subject)
client_id=$(json_get token1.json v.client_id)
check "subject ends with the client id" contains "$subject" "CN=$client_id\$"
check "configuration returns the mTLS URL" test "$(json_get conf1.json v.data.configuration.managementPlaneInfo.certificateSecuredConnectorURL)" = "https://localhost:$MTLS_PORT/connector/graphql"
out=$(gql_token "$token1" config.json)
check "reused token is rejected" contains "$out" 'already used'
check "reused token answers HTTP 200" contains "$out" 'HTTP 200'
check "reused token answers data null" contains "$out" '"data":null'
out=$(gql_token "not-a-token" config.json)
check "unknown token is rejected" contains "$out" 'unknown'
out=$(curl -s --cacert "$dir/server-ca.pem" -H 'Content-Type: application/json' --data-binary @config.json "https://localhost:$TOKEN_PORT/connector/graphql")
check "missing token header is rejected" contains "$out" 'missing Connector-Token'
out=$(gql_token "$(new_token)" empty-parens.json)
check "configuration() is rejected with 422" contains "$out" 'HTTP 422'

echo "== CSR signing"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out client.key 2>/dev/null
make_sign_body client.key "$subject" sign1.json
gql_token "$token2" sign1.json >sign1.out
check "sign with second token succeeds" contains "$(cat sign1.out)" 'HTTP 200'
save_certs sign1.out c1-
check "leaf verifies against client-ca.pem" openssl verify -CAfile "$dir/client-ca.pem" c1-leaf.pem
check "chain starts with the leaf" cmp <(openssl x509 -in c1-chain.pem) c1-leaf.pem
check "caCertificate is the client CA" cmp c1-ca.pem "$dir/client-ca.pem"
check "leaf carries the CSR key" cmp <(openssl x509 -in c1-leaf.pem -noout -pubkey) <(openssl pkey -in client.key -pubout)
check "leaf has clientAuth" contains "$(openssl x509 -in c1-leaf.pem -noout -ext extendedKeyUsage)" 'Client Authentication'
check "leaf has no SAN" bash -c "! openssl x509 -in c1-leaf.pem -noout -text | grep -q 'Subject Alternative Name'"
check "leaf is not signed by the server CA" bash -c "! openssl verify -CAfile '$dir/server-ca.pem' c1-leaf.pem"
make_sign_body client.key "O=Org,OU=OrgUnit,L=Waldorf,ST=Waldorf,C=DE,CN=someone-else" wrong-cn.json
out=$(gql_token "$(new_token "{\"client_id\":\"$client_id\"}")" wrong-cn.json)
check "CSR with another CN is rejected" contains "$out" 'invalid CSR subject'
reordered="CN=$client_id,C=DE,ST=Waldorf,L=Waldorf,OU=OrgUnit,O=Org"
make_sign_body client.key "$reordered" reordered.json
out=$(gql_token "$(new_token "{\"client_id\":\"$client_id\"}")" reordered.json)
check "CSR with attributes reordered is accepted" contains "$out" 'certificateChain'
printf '%s' '{"query":"mutation { signCertificateSigningRequest(csr: \"bm90IGEgY3Ny\") { clientCertificate } }"}' >bad-csr.json
out=$(gql_token "$(new_token "{\"client_id\":\"$client_id\"}")" bad-csr.json)
check "non-PEM CSR is rejected" contains "$out" 'not a PEM certificate request'

spaced_id=spaced-client
spaced_subject="O=My Org Inc,OU=Org Unit,L=Walldorf,ST=Baden Wuerttemberg,C=DE,CN=$spaced_id"
admin POST /admin/token "{\"subject\":\"$spaced_subject\"}" >spaced.json
check "subject with spaces sets the client id" test "$(json_get spaced.json v.client_id)" = "$spaced_id"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out spaced.key 2>/dev/null
make_sign_body spaced.key "$spaced_subject" spaced-sign.json
out=$(gql_token "$(json_get spaced.json v.token)" spaced-sign.json)
check "CSR with spaces in values is accepted" contains "$out" 'certificateChain'

echo "== certificate-secured endpoint"
out=$(gql_cert c1-leaf.pem client.key config.json)
check "mTLS configuration succeeds" contains "$out" "CN=$client_id"
out=$(curl -s --cacert "$dir/server-ca.pem" -H 'Content-Type: application/json' --data-binary @config.json "https://localhost:$MTLS_PORT/connector/graphql")
check "mTLS without a certificate is rejected" contains "$out" 'client certificate required'
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout self.key -subj "/CN=$client_id" -days 1 -out self.pem 2>/dev/null
out=$(gql_cert self.pem self.key config.json)
check "mTLS with an untrusted certificate is rejected" contains "$out" 'not trusted'
out=$(gql_cert c1-leaf.pem client.key viewer.json /director/graphql)
check "Director viewer answers" contains "$out" '"type":"RUNTIME"'
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out client2.key 2>/dev/null
make_sign_body client2.key "$subject" renew.json
gql_cert c1-leaf.pem client.key renew.json >renew.out
check "renewal with a new key succeeds" contains "$(cat renew.out)" 'HTTP 200'
save_certs renew.out c2-
check "renewed leaf carries the new key" cmp <(openssl x509 -in c2-leaf.pem -noout -pubkey) <(openssl pkey -in client2.key -pubout)
out=$(gql_cert c1-leaf.pem client.key revoke.json)
check "revokeCertificate returns true" contains "$out" '"revokeCertificate":true'
out=$(gql_cert c1-leaf.pem client.key config.json)
check "revoked certificate is rejected" contains "$out" 'certificate revoked'
out=$(gql_cert c1-leaf.pem client.key viewer.json /director/graphql)
check "revoked certificate is rejected by the Director" contains "$out" 'certificate revoked'
out=$(gql_cert c2-leaf.pem client2.key config.json)
check "renewed certificate still works" contains "$out" '"token"'

admin POST /admin/config '{"validity_seconds": 2}' >/dev/null
gql_cert c2-leaf.pem client2.key renew.json >short.out
save_certs short.out c3-
sleep 3
out=$(gql_cert c3-leaf.pem client2.key config.json)
check "expired client certificate is rejected" contains "$out" 'certificate expired'
admin POST /admin/config '{"validity_seconds": 7776000}' >/dev/null

echo "== request log"
admin GET /admin/log >log.json
check "log has no token value" bash -c "! grep -q -- '$token1' '$dir/requests.log'"
check "log has the token hash" grep -q "$(printf '%s' "$token1" | sha256sum | cut -d' ' -f1)" "$dir/requests.log"
serial=$(openssl x509 -in c1-leaf.pem -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f')
check "log has the revoking certificate's serial" node -e '
const log = require(process.argv[1]);
if (!log.some((e) => e.operation === "revokeCertificate" && e.cert_serial === process.argv[2] && e.outcome === "ok")) process.exit(1)' "$work/log.json" "$serial"
check "log shows the invalid operation" node -e '
const log = require(process.argv[1]);
if (!log.some((e) => e.operation === "invalid" && e.http_status === 422)) process.exit(1)' "$work/log.json"

echo "== faults"
fault() { admin POST /admin/fault "$1" >/dev/null; }
fault '{"mode":"http-503","count":1,"endpoint":"token"}'
t=$(new_token)
out=$(gql_token "$t" config.json)
check "http-503 answers 503" contains "$out" 'HTTP 503'
out=$(gql_token "$t" config.json)
check "token is burned by a faulted call" contains "$out" 'already used'
for mode in http-500 http-429; do
    fault "{\"mode\":\"$mode\",\"count\":1}"
    out=$(gql_token "$(new_token)" config.json)
    check "$mode answers ${mode#http-}" contains "$out" "HTTP ${mode#http-}"
done
fault '{"mode":"graphql-error","count":1}'
check "graphql-error" contains "$(gql_token "$(new_token)" config.json)" '"errors"'
fault '{"mode":"data-null","count":1}'
check "data-null" test "$(gql_token "$(new_token)" config.json | head -1)" = '{"data":null}'
fault '{"mode":"malformed-json","count":1}'
gql_token "$(new_token)" config.json | sed '$d' >malformed.out
check "malformed-json is not JSON" bash -c "! is_json malformed.out"
fault '{"mode":"truncated-json","count":1}'
gql_token "$(new_token)" config.json | sed '$d' >truncated.out
check "truncated-json is not JSON" bash -c "! is_json truncated.out"
check "truncated-json is a prefix of a response" grep -q '^{"data":{"configuration"' truncated.out
fault '{"mode":"missing-field","count":1}'
gql_token "$(new_token)" config.json >missing.out
check "missing-field keeps the token" grep -q '"token"' missing.out
check "missing-field drops certificateSigningRequestInfo" bash -c "! grep -q certificateSigningRequestInfo missing.out"
fault '{"mode":"huge-body","count":1}'
size=$(curl -s --cacert "$dir/server-ca.pem" -H "Connector-Token: $(new_token)" -H 'Content-Type: application/json' --data-binary @config.json -o /dev/null -w '%{size_download}' "https://localhost:$TOKEN_PORT/connector/graphql")
check "huge-body is over 5 MiB" test "$size" -gt 5242880
fault '{"mode":"redirect","count":1}'
out=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' --cacert "$dir/server-ca.pem" -H "Connector-Token: $(new_token)" -H 'Content-Type: application/json' --data-binary @config.json "https://localhost:$TOKEN_PORT/connector/graphql")
check "redirect answers 302 to the same server" test "$out" = "302 https://localhost:$TOKEN_PORT/connector/graphql-moved"
fault '{"mode":"redirect","count":1}'
curl -s -L -o /dev/null --cacert "$dir/server-ca.pem" -H "Connector-Token: $(new_token)" -H 'Content-Type: application/json' --data-binary @config.json "https://localhost:$TOKEN_PORT/connector/graphql"
check "followed redirect is logged" grep -q '"operation":"redirect-target"' "$dir/requests.log"
fault '{"mode":"slow-body","count":1}'
start=$(date +%s)
curl -s --max-time 3 --cacert "$dir/server-ca.pem" -H "Connector-Token: $(new_token)" -H 'Content-Type: application/json' --data-binary @config.json -o slow.out "https://localhost:$TOKEN_PORT/connector/graphql"
rc=$?
check "slow-body never ends (curl timed out)" test "$rc" -eq 28
check "slow-body sends about a byte a second" test "$(wc -c <slow.out)" -le 4

for mode in wrong-key-cert expired-cert not-yet-valid-cert wrong-chain-order; do
    fault "{\"mode\":\"$mode\",\"count\":1}"
    gql_cert c2-leaf.pem client2.key renew.json >"$mode.out"
    save_certs "$mode.out" "$mode-"
done
check "wrong-key-cert has another key" bash -c "! cmp <(openssl x509 -in wrong-key-cert-leaf.pem -noout -pubkey) <(openssl pkey -in client2.key -pubout)"
check "expired-cert is expired" bash -c "! openssl x509 -in expired-cert-leaf.pem -noout -checkend 0"
check "not-yet-valid-cert starts in the future" bash -c "openssl verify -CAfile '$dir/client-ca.pem' not-yet-valid-cert-leaf.pem 2>&1 | grep -q 'not yet valid'"
check "wrong-chain-order puts the CA first" cmp <(openssl x509 -in wrong-chain-order-chain.pem) "$dir/client-ca.pem"
# The agent names its root fields with aliases ("result: sign..."); a
# missing-field fault must drop the field under the key the client chose.
sed 's/{ signCertificateSigningRequest(/{ result: signCertificateSigningRequest(/' renew.json >renew-alias.json
fault '{"mode":"missing-field","count":1}'
gql_cert c2-leaf.pem client2.key renew-alias.json >missing-alias.out
check "missing-field under an alias keeps the leaf" grep -q '"result":{[^}]*"clientCertificate"' missing-alias.out
check "missing-field under an alias drops certificateChain" bash -c "! grep -q certificateChain missing-alias.out"
sed 's/managementPlaneInfo {/plane: managementPlaneInfo {/' config.json >config-alias.json
fault '{"mode":"missing-field","count":1,"field":"managementPlaneInfo.directorURL"}'
gql_token "$(new_token)" config-alias.json >missing-nested.out
check "missing-field with a path keeps the sibling" grep -q '"plane":{"certificateSecuredConnectorURL"' missing-nested.out
check "missing-field with a path drops the field" bash -c "! grep -q directorURL missing-nested.out"
check "fault count 1 ends the fault" contains "$(admin GET /admin/fault)" '"mode":"none"'
fault '{"mode":"http-500","endpoint":"mtls"}'
check "mtls-only fault spares the token port" contains "$(gql_token "$(new_token)" config.json)" 'HTTP 200'
check "fault without count persists (1)" contains "$(gql_cert c2-leaf.pem client2.key config.json)" 'HTTP 500'
check "fault without count persists (2)" contains "$(gql_cert c2-leaf.pem client2.key config.json)" 'HTTP 500'
fault '{"mode":"none"}'
check "cleared fault" contains "$(gql_cert c2-leaf.pem client2.key config.json)" 'HTTP 200'

echo "== server certificates and TLS versions"
https_ok() { curl -s -o /dev/null --max-time 5 --cacert "$1" -H 'Content-Type: application/json' -d '{}' "https://localhost:$TOKEN_PORT/connector/graphql"; }
admin POST /admin/server-cert '{"endpoint":"token","kind":"wrong-host"}' >/dev/null
check "wrong-host cert fails hostname check" bash -c "! curl -s -o /dev/null --cacert '$dir/server-ca.pem' https://localhost:$TOKEN_PORT/connector/graphql"
admin POST /admin/server-cert '{"endpoint":"token","kind":"expired"}' >/dev/null
check "expired server cert fails" bash -c "! curl -s -o /dev/null --cacert '$dir/server-ca.pem' https://localhost:$TOKEN_PORT/connector/graphql"
admin POST /admin/server-cert '{"endpoint":"token","kind":"other-ca"}' >/dev/null
check "other-ca server cert fails with the server CA" bash -c "! curl -s -o /dev/null --cacert '$dir/server-ca.pem' https://localhost:$TOKEN_PORT/connector/graphql"
check "other-ca server cert passes with other-ca.pem" https_ok "$dir/other-ca.pem"
admin POST /admin/server-cert '{"endpoint":"both","kind":"good"}' >/dev/null
check "good server cert is back" https_ok "$dir/server-ca.pem"
check "TLS 1.1 refused by default" bash -c "! openssl s_client -connect 127.0.0.1:$TOKEN_PORT -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' </dev/null"
admin POST /admin/tls '{"endpoint":"token","max_version":"TLSv1.1"}' >/dev/null
check "TLS 1.1 offered after /admin/tls" bash -c "openssl s_client -connect 127.0.0.1:$TOKEN_PORT -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' </dev/null 2>&1 | grep -q 'Protocol  *: TLSv1.1'"
check "curl rejects the TLS 1.1 server" bash -c "! curl -s -o /dev/null --tlsv1.2 --cacert '$dir/server-ca.pem' https://localhost:$TOKEN_PORT/connector/graphql"
admin POST /admin/tls '{"endpoint":"token"}' >/dev/null
check "TLS 1.2+ restored" https_ok "$dir/server-ca.pem"

echo "== lifetime"
admin POST /admin/stop >/dev/null
for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$MOCK_PID" 2>/dev/null || break; sleep 0.2; done
check "POST /admin/stop ends the server" bash -c "! kill -0 $MOCK_PID"
check "ports.json removed on stop" test ! -e "$dir/ports.json"

eval "$("$here/start.sh" "$work/mock2" "$sleeper_pid")"
kill "$sleeper_pid"
for _ in $(seq 1 30); do kill -0 "$MOCK_PID" 2>/dev/null || break; sleep 0.1; done
check "server stops when --parent-pid exits" bash -c "! kill -0 $MOCK_PID"

eval "$("$here/start.sh" "$work/mock3")"
kill -TERM "$MOCK_PID"
for _ in $(seq 1 20); do kill -0 "$MOCK_PID" 2>/dev/null || break; sleep 0.1; done
check "server stops on SIGTERM" bash -c "! kill -0 $MOCK_PID"

exec 7> >(node "$here/server.js" --dir "$work/mock4" >"$work/mock4.log" 2>&1)
for _ in $(seq 1 150); do [ -s "$work/mock4/ports.json" ] && break; sleep 0.1; done
pipe_pid=$(json_get "$work/mock4/ports.json" v.pid)
exec 7>&-
for _ in $(seq 1 20); do kill -0 "$pipe_pid" 2>/dev/null || break; sleep 0.1; done
check "server stops when its stdin pipe closes" bash -c "! kill -0 $pipe_pid"
MOCK_PID=

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
