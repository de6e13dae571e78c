#!/bin/sh
# Install everything that building, testing and the demo need on Debian 12.
# Idempotent and quiet when everything is present; run as root (CI and the
# development machines are root) or through sudo.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)

debian_packages="build-essential pkg-config libp11-kit-dev p11-kit libssl-dev
openssl libcurl4-openssl-dev libcjson-dev libcmocka-dev softhsm2 opensc
libinih-dev libsystemd-dev clang libclang-rt-14-dev cppcheck bsdutils systemd nodejs"
backports_packages="pkcs11-provider"

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		echo "setup: '$*' needs root; run 'make setup' as root" >&2
		exit 1
	fi
}

missing_packages() {
	for p in "$@"; do
		if ! dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$'; then
			printf '%s\n' "$p"
		fi
	done
}

backports_source=/etc/apt/sources.list.d/bookworm-backports.sources

# shellcheck disable=SC2086
need=$(missing_packages $debian_packages)
# shellcheck disable=SC2086
need_bpo=$(missing_packages $backports_packages)
# npm ships with NodeSource's nodejs; Debian's nodejs needs the npm package.
if ! command -v npm >/dev/null 2>&1; then
	need="$need npm"
fi

if [ -n "$need$need_bpo" ]; then
	echo "setup: installing:" $need $need_bpo
	if [ -n "$need_bpo" ] && [ ! -e "$backports_source" ]; then
		as_root sh -c "cat > $backports_source" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	fi
	# A third-party source that cannot be reached must not stop the
	# install; apt reports it and carries on with the others.
	as_root apt-get update -qq >/dev/null 2>&1 || true
	if [ -n "$need" ]; then
		# shellcheck disable=SC2086
		as_root env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends $need >/dev/null
	fi
	if [ -n "$need_bpo" ]; then
		# shellcheck disable=SC2086
		as_root env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends \
			-t bookworm-backports $need_bpo >/dev/null
	fi
fi

mock="$here/tests/compass-mock"
if [ -f "$mock/package-lock.json" ] &&
	{ [ ! -d "$mock/node_modules" ] ||
	  [ "$mock/package-lock.json" -nt "$mock/node_modules/.package-lock.json" ]; }; then
	echo "setup: installing the test Connector's npm packages"
	(cd "$mock" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
