#!/bin/sh
# The built binary carries the hardening that the Makefile requests: PIE, full
# RELRO, a stack protector, a non-executable stack and fortified calls.
ROOT=${1:?usage: sh tests/integration/test_binary_hardening.sh REPO_ROOT}
BINARY=${COMPASS_AGENT_BIN:-$ROOT/compass-agent}
n=0
failed=0

check() {
	n=$((n + 1))
	name=$1
	shift
	if "$@"; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		failed=1
	fi
}

readelf -W -h -l -d --dyn-syms "$BINARY" > "${TMPDIR:-/tmp}/hardening.$$" 2>&1
info="${TMPDIR:-/tmp}/hardening.$$"
trap 'rm -f "$info"' EXIT

is_pie() {
	grep -q 'Type:.*DYN' "$info" && grep -q 'FLAGS_1.*PIE' "$info"
}

has_full_relro() {
	grep -q 'GNU_RELRO' "$info" && grep -q 'BIND_NOW' "$info" &&
		grep -q 'FLAGS_1.*NOW' "$info"
}

has_stack_protector() {
	grep -q '__stack_chk_fail' "$info"
}

has_nx_stack() {
	grep 'GNU_STACK' "$info" | grep -q 'RW ' &&
		! grep 'GNU_STACK' "$info" | grep -q 'RWE'
}

has_fortified_calls() {
	grep -q -E '__(memcpy|snprintf|vsnprintf|fprintf|printf|read)_chk' "$info"
}

check "binary is position independent" is_pie
check "binary has full RELRO" has_full_relro
check "binary has a stack protector" has_stack_protector
check "stack is not executable" has_nx_stack
check "libc calls are fortified" has_fortified_calls
exit "$failed"
