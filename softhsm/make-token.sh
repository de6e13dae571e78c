#!/bin/sh
# Create a throwaway SoftHSM2 token in DIR for a test or the demo.
#
# usage: softhsm/make-token.sh DIR [LABEL]
#
# DIR gets its own softhsm2.conf and token store, a random user PIN in
# DIR/pin (mode 0600) and a random SO PIN in DIR/so-pin. The script prints
# shell assignments for the caller to eval:
#   SOFTHSM2_CONF=...  MODULE=...  TOKEN_URI=...  PIN_FILE=...
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 DIR [LABEL]" >&2
	exit 2
fi
dir=$1
label=${2:-compass}
module=/usr/lib/softhsm/libsofthsm2.so

if [ ! -r "$module" ]; then
	echo "$0: SoftHSM module $module not found; run 'make setup'" >&2
	exit 1
fi

umask 077
mkdir -p "$dir/tokens"
dir=$(cd "$dir" && pwd)

cat > "$dir/softhsm2.conf" <<CONF
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF

# 16 random hex characters each; the PINs never appear on a command line
# except softhsm2-util's own, which is the only way to initialise a token.
od -An -N8 -tx1 /dev/urandom | tr -d ' \n' > "$dir/pin"
od -An -N8 -tx1 /dev/urandom | tr -d ' \n' > "$dir/so-pin"

SOFTHSM2_CONF=$dir/softhsm2.conf softhsm2-util --init-token --free \
	--label "$label" --pin "$(cat "$dir/pin")" \
	--so-pin "$(cat "$dir/so-pin")" >/dev/null

printf "SOFTHSM2_CONF='%s'\n" "$dir/softhsm2.conf"
printf "MODULE='%s'\n" "$module"
printf "TOKEN_URI='pkcs11:token=%s'\n" "$label"
printf "PIN_FILE='%s'\n" "$dir/pin"
