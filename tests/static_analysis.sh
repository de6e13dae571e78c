#!/bin/sh
# GCC's static analyzer and cppcheck over every product source file. Each
# prints TAP; any finding fails. A finding that is wrong is suppressed at
# its line with the reason, never here.
ROOT=${1:?usage: sh tests/static_analysis.sh REPO_ROOT}
cd "$ROOT" || exit 1
out=$(mktemp -d "${TMPDIR:-/tmp}/compass-agent-analysis.XXXXXX")
trap 'rm -rf "$out"' EXIT
failed=0

sources=$(ls common/*.c pkcs11/*.c graphql/*.c agent/*.c)
cflags="-std=c11 -D_GNU_SOURCE -DCA_VERSION=\"analysis\" \
$(pkg-config --cflags p11-kit-1 libcjson inih libcurl libcrypto)"

for f in $sources; do
	# shellcheck disable=SC2086
	gcc $cflags -O1 -fanalyzer -c "$f" -o "$out/unit.o" \
		>> "$out/analyzer.txt" 2>&1
done
if grep -q -E 'warning:|error:' "$out/analyzer.txt"; then
	echo "not ok 1 - gcc -fanalyzer reports nothing"
	grep -E 'warning:|error:' "$out/analyzer.txt" | sed 's/^/# /'
	failed=1
else
	echo "ok 1 - gcc -fanalyzer reports nothing"
fi

# shellcheck disable=SC2086
cppcheck --enable=warning,portability,performance --std=c11 \
	--inline-suppr --quiet --error-exitcode=1 -D_GNU_SOURCE \
	-I/usr/include/p11-kit-1 common pkcs11 graphql agent \
	> "$out/cppcheck.txt" 2>&1
if [ $? -ne 0 ] || [ -s "$out/cppcheck.txt" ]; then
	echo "not ok 2 - cppcheck reports nothing"
	sed 's/^/# /' "$out/cppcheck.txt"
	failed=1
else
	echo "ok 2 - cppcheck reports nothing"
fi
exit "$failed"
