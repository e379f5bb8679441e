# tests/integration/proxy_tls_certs.bash — certificates for the TLS tests and
# bench, made with the openssl command (sourced; needs openssl).
#   tls_certs DIR: DIR/ca.{crt,key} (the CA), srv.{crt,key} (CN and IP SAN
#   127.0.0.1), dev1, dev2 (client CNs dev-1, dev-2), expired (CN dev-1, valid
#   in January 2020 only), other-ca.crt and stranger.{crt,key} (signed by that
#   other CA), srv2.{crt,key} (CN reloaded.example, same CA, IP SAN 127.0.0.1).
#   EC P-256 keys: fast to make, the common choice for device fleets.
tls_certs() {
	local d=$1 n
	mkdir -p "$d/db"
	: >"$d/db/index.txt"
	echo 1000 >"$d/db/serial"
	cat >"$d/ca.cnf" <<CNF
[ca]
default_ca = c
[c]
dir = $d/db
database = $d/db/index.txt
serial = $d/db/serial
new_certs_dir = $d/db
default_md = sha256
policy = p
unique_subject = no
copy_extensions = copy
[p]
commonName = supplied
[v3]
basicConstraints = CA:false
CNF
	_tls_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
	for n in ca other-ca; do
		_tls_key "$d/$n.key"
		openssl req -x509 -new -key "$d/$n.key" -subj "/CN=mqlb test $n" -days 30 \
			-out "$d/$n.crt" 2>/dev/null || return 1
	done
	_tls_sign() { # _tls_sign NAME CN CA [SAN] [START END]
		_tls_key "$d/$1.key"
		openssl req -new -key "$d/$1.key" -subj "/CN=$2" ${4:+-addext "subjectAltName=$4"} \
			-out "$d/$1.csr" 2>/dev/null || return 1
		local when=(-days 30)
		[ -n "${5:-}" ] && when=(-startdate "$5" -enddate "$6")
		openssl ca -batch -config "$d/ca.cnf" -cert "$d/$3.crt" -keyfile "$d/$3.key" \
			-extensions v3 "${when[@]}" -in "$d/$1.csr" -out "$d/$1.crt" >/dev/null 2>&1 || return 1
	}
	_tls_sign srv 127.0.0.1 ca "IP:127.0.0.1" &&
		_tls_sign srv2 reloaded.example ca "IP:127.0.0.1" &&
		_tls_sign dev1 dev-1 ca &&
		_tls_sign dev2 dev-2 ca &&
		_tls_sign expired dev-1 ca "" 20200101000000Z 20200201000000Z &&
		_tls_sign stranger dev-1 other-ca
}
