#!/bin/sh
# Starts the test Connector in the background and prints shell assignments:
#   eval "$(tests/compass-mock/start.sh DIR [PARENT_PID])"
# sets MOCK_PID, TOKEN_PORT, MTLS_PORT and ADMIN_PORT. The server writes its
# output to DIR/mock.log. With PARENT_PID (for example $$ of the test script)
# the server stops by itself once that process has exited.
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 DIR [PARENT_PID]" >&2
    exit 2
fi
dir=$1
here=$(cd "$(dirname "$0")" && pwd)

mkdir -p "$dir"
rm -f "$dir/ports.json"
if [ ! -d "$here/node_modules/graphql" ]; then
    echo "$0: $here/node_modules is missing; run 'npm ci' in $here first" >&2
    exit 1
fi

if [ $# -eq 2 ]; then
    node "$here/server.js" --dir "$dir" --parent-pid "$2" </dev/null >"$dir/mock.log" 2>&1 &
else
    node "$here/server.js" --dir "$dir" </dev/null >"$dir/mock.log" 2>&1 &
fi
pid=$!

# Wait up to 15 s (150 checks, 0.1 s apart) for the server to publish its ports.
tries=0
while [ ! -s "$dir/ports.json" ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "$0: the test Connector exited during startup; see $dir/mock.log:" >&2
        cat "$dir/mock.log" >&2
        exit 1
    fi
    tries=$((tries + 1))
    if [ "$tries" -ge 150 ]; then
        echo "$0: $dir/ports.json did not appear within 15 s; stopping pid $pid" >&2
        kill "$pid" 2>/dev/null || true
        exit 1
    fi
    sleep 0.1
done

# ports.json is one line: {"token":N,"mtls":N,"admin":N,"pid":N}
node -e '
const ports = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
process.stdout.write(`MOCK_PID=${ports.pid}\nTOKEN_PORT=${ports.token}\nMTLS_PORT=${ports.mtls}\nADMIN_PORT=${ports.admin}\n`);
' "$dir/ports.json"
