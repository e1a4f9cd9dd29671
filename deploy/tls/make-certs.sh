#!/usr/bin/env bash
# make-certs.sh [-c NAME[=SAN,...]]... [-d DAYS] DIR NODE...
#
# Generates the mTLS material of an upfleet fleet with openssl, in DIR:
#   ca.crt ca.key                      the fleet's CA (created once; reused when DIR already holds it)
#   controller/NAME.crt NAME.key       a server certificate per controller (-c; default one named
#                                      "controller" on the first run), SANs: DNS:NAME plus the given ones (DNS:x, IP:a.b.c.d)
#   agent/NODE.crt NODE.key            a client certificate per node, CN=NODE, SAN DNS:NODE; controllers accept
#                                      it only from an agent whose --node is NODE
# Keys are EC P-256 in PKCS#8 PEM ("BEGIN PRIVATE KEY"), as grpc-java/netty read them; mode 0600.
# Existing certificates are left alone (delete one to re-issue it), so the script can be re-run to add nodes.
#
# Example:
#   deploy/tls/make-certs.sh -c ctl-1=IP:10.110.0.2 -c ctl-2=IP:10.110.0.3 fleet-pki web-1 web-2 db-1
# Then copy to each host's /etc/upfleet/tls/: ca.crt, and its own NAME.crt/NAME.key renamed
# controller.crt/controller.key (controllers) or agent.crt/agent.key (nodes). Never copy ca.key to a host.
set -euo pipefail

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

days=825
controllers=()
while getopts 'c:d:h' opt; do
    case "$opt" in
        c) controllers+=("$OPTARG") ;;
        d) days="$OPTARG" ;;
        *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ "$#" -ge 1 ] || usage
dir="$1"
shift

name_ok() { [[ "$1" =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]]; }

umask 077
mkdir -p "$dir/controller" "$dir/agent"

if [ ! -f "$dir/ca.key" ]; then
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/ca.key"
    openssl req -new -x509 -sha256 -days 3650 -key "$dir/ca.key" -out "$dir/ca.crt" \
        -subj "/O=upfleet/CN=upfleet fleet CA" \
        -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -addext "subjectKeyIdentifier=hash"
    chmod 0644 "$dir/ca.crt"
    echo "make-certs: CA $dir/ca.crt"
else
    echo "make-certs: reusing CA $dir/ca.crt"
fi

# issue KIND NAME USAGE SAN
issue() {
    local kind="$1" name="$2" usage="$3" san="$4"
    local key="$dir/$kind/$name.key" crt="$dir/$kind/$name.crt"
    if [ -f "$crt" ]; then
        echo "make-certs: keeping $crt"
        return
    fi
    local ext
    ext="$(mktemp)"
    cat > "$ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyAgreement
extendedKeyUsage=$usage
subjectAltName=$san
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid,issuer
EXT
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$key"
    openssl req -new -sha256 -key "$key" -subj "/O=upfleet/OU=$kind/CN=$name" -out "$dir/$kind/$name.csr"
    openssl x509 -req -sha256 -days "$days" -in "$dir/$kind/$name.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
        -CAcreateserial -extfile "$ext" -out "$crt" 2>/dev/null
    rm -f "$ext" "$dir/$kind/$name.csr"
    chmod 0644 "$crt"
    chmod 0600 "$key"
    openssl verify -CAfile "$dir/ca.crt" "$crt" >/dev/null
    echo "make-certs: $kind $crt ($san)"
}

# Without -c, one controller certificate named "controller" — unless DIR already has controller certificates
# (re-running the script to add nodes).
if [ "${#controllers[@]}" -eq 0 ] && ! compgen -G "$dir/controller/*.crt" >/dev/null; then
    controllers=(controller)
fi
for spec in ${controllers[@]+"${controllers[@]}"}; do
    name="${spec%%=*}"
    extra=""
    [ "$spec" != "$name" ] && extra="${spec#*=}"
    name_ok "$name" || { echo "make-certs: bad controller name: $name" >&2; exit 2; }
    san="DNS:$name"
    [ -n "$extra" ] && san="$san,$extra"
    # A controller is a server to agents and a client of nothing here; serverAuth only.
    issue controller "$name" serverAuth "$san"
done
for node in "$@"; do
    name_ok "$node" || { echo "make-certs: bad node name: $node" >&2; exit 2; }
    issue agent "$node" clientAuth "DNS:$node"
done
