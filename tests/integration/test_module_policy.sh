#!/bin/sh
# Where PKCS#11 and OpenSSL modules may come from: the module allow-list,
# and environment variables that must have no effect.
. "$(dirname "$0")/lib.sh"

connect_with_module() {
	module=$1
	shift
	issue_token token "$WORK/ott"
	expect_exit "$EXPECTED" "$AGENT" --module "$module" "$@" \
		--token "$TOKEN_URI" --pin-source "file:$PIN_FILE" \
		--ca-file "$CA_FILE" --state-dir "$STATE" connect \
		--connector-url "https://localhost:$TOKEN_PORT/connector/graphql" \
		--one-time-token-file "$WORK/ott"
}

copy_module() {
	mkdir -p "$1"
	cp "$(readlink -f "$MODULE")" "$1/libsofthsm2.so"
}

case_module_outside_allow_list_rejected() {
	copy_module "$WORK/mods"
	EXPECTED=2 connect_with_module "$WORK/mods/libsofthsm2.so"
	expect_contains "$WORK/err" "outside the allowed directories"
	expect_contains "$WORK/err" "--module-dirs"
	expect_equal "$(log_lines)" 0 "Connector requests"
}

case_module_dirs_allows_a_directory() {
	copy_module "$WORK/mods"
	EXPECTED=0 connect_with_module "$WORK/mods/libsofthsm2.so" \
		--module-dirs "/usr/lib:$WORK/mods"
}

case_writable_module_rejected() {
	copy_module "$WORK/mods"
	chmod o+w "$WORK/mods/libsofthsm2.so"
	EXPECTED=2 connect_with_module "$WORK/mods/libsofthsm2.so" \
		--module-dirs "$WORK/mods"
	expect_contains "$WORK/err" "other users can change it"
	chmod o-w "$WORK/mods/libsofthsm2.so"
	chmod 777 "$WORK/mods"
	EXPECTED=2 connect_with_module "$WORK/mods/libsofthsm2.so" \
		--module-dirs "$WORK/mods"
	expect_contains "$WORK/err" "directory $WORK/mods can be changed"
}

case_symlink_escaping_allow_list_rejected() {
	copy_module "$WORK/mods"
	mkdir "$WORK/allowed"
	ln -s "$WORK/mods/libsofthsm2.so" "$WORK/allowed/libsofthsm2.so"
	EXPECTED=2 connect_with_module "$WORK/allowed/libsofthsm2.so" \
		--module-dirs "$WORK/allowed"
	expect_contains "$WORK/err" "resolves to $WORK/mods/libsofthsm2.so"
}

case_environment_cannot_choose_modules() {
	# A module that leaves a mark when anything loads it.
	cat > "$WORK/bogus.c" <<'C'
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
__attribute__((constructor)) static void mark(void)
{
	const char *path = getenv("BOGUS_MARK");
	if (path != NULL)
		close(open(path, O_WRONLY | O_CREAT, 0600));
}
int C_GetFunctionList(void **list) { (void)list; return 5; }
int OSSL_provider_init(void) { return 0; }
C
	gcc -shared -fPIC -o "$WORK/bogus.so" "$WORK/bogus.c"
	cat > "$WORK/hostile.cnf" <<CNF
openssl_conf = hostile
[hostile]
providers = hostile_providers
[hostile_providers]
bogus = bogus_section
[bogus_section]
module = $WORK/bogus.so
activate = 1
CNF
	# The mark works: OpenSSL's own tool loads the bogus module.
	BOGUS_MARK="$WORK/mark-check" OPENSSL_CONF="$WORK/hostile.cnf" \
		openssl version > /dev/null 2>&1 || true
	[ -e "$WORK/mark-check" ] || fail "the bogus module leaves no mark"

	issue_token token "$WORK/ott"
	BOGUS_MARK="$WORK/mark" OPENSSL_CONF="$WORK/hostile.cnf" \
	PKCS11_PROVIDER_MODULE="$WORK/bogus.so" OPENSSL_MODULES="$WORK" \
	PKCS11_PROVIDER_DEBUG="file:$WORK/provider-debug.log,level:5" \
		"$AGENT" --module "$MODULE" --token "$TOKEN_URI" \
		--pin-source "file:$PIN_FILE" --ca-file "$CA_FILE" \
		--state-dir "$STATE" connect \
		--connector-url "https://localhost:$TOKEN_PORT/connector/graphql" \
		--one-time-token-file "$WORK/ott" > "$WORK/out" 2> "$WORK/err" ||
		fail "connect with a hostile environment: $(cat "$WORK/err")"
	[ ! -e "$WORK/mark" ] || fail "the bogus module was loaded"
	[ ! -e "$WORK/provider-debug.log" ] ||
		fail "PKCS11_PROVIDER_DEBUG took effect"
	expect_exit 0 agent renew --force
}

run_case "module outside allow-list rejected" case_module_outside_allow_list_rejected
run_case "module-dirs allows a directory" case_module_dirs_allows_a_directory
run_case "writable module or directory rejected" case_writable_module_rejected
run_case "symlink escaping allow-list rejected" case_symlink_escaping_allow_list_rejected
run_case "environment cannot choose modules" case_environment_cannot_choose_modules
finish
