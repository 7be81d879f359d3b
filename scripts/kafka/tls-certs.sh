#!/usr/bin/env bash
# Makes a throwaway CA and a broker certificate for 127.0.0.1/localhost, signed by that CA, in <dir>:
#   ca.pem (give it to clients as client.ssl.ca), keystore.p12 (the broker's key and certificate chain).
# Uses openssl when present, else the JDK's keytool. Existing files are kept.
#   tls-certs.sh <dir> <keystore password>
set -euo pipefail
dir="$1"
pass="$2"
mkdir -p "$dir"
cd "$dir"
[ -f ca.pem ] && [ -f keystore.p12 ] && exit 0
rm -f ca.* server.* keystore.p12
if command -v openssl >/dev/null 2>&1; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 \
    -subj '/CN=nestjs-kafka-consumer test CA' >/dev/null 2>&1
  openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj '/CN=localhost' >/dev/null 2>&1
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' >server.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 30 \
    -extfile server.ext >/dev/null 2>&1
  openssl pkcs12 -export -in server.pem -inkey server.key -certfile ca.pem -name broker \
    -out keystore.p12 -passout "pass:$pass"
else
  keytool -genkeypair -keystore ca.p12 -storetype PKCS12 -storepass "$pass" -alias ca -keyalg RSA \
    -keysize 2048 -validity 30 -dname 'CN=nestjs-kafka-consumer test CA' -ext bc:c >/dev/null 2>&1
  keytool -exportcert -rfc -keystore ca.p12 -storepass "$pass" -alias ca -file ca.pem
  keytool -genkeypair -keystore keystore.p12 -storetype PKCS12 -storepass "$pass" -alias broker -keyalg RSA \
    -keysize 2048 -validity 30 -dname 'CN=localhost' >/dev/null 2>&1
  keytool -certreq -keystore keystore.p12 -storepass "$pass" -alias broker -file server.csr
  keytool -gencert -keystore ca.p12 -storepass "$pass" -alias ca -infile server.csr -outfile server.pem -rfc \
    -validity 30 -ext 'san=ip:127.0.0.1,dns:localhost'
  keytool -importcert -noprompt -keystore keystore.p12 -storepass "$pass" -alias ca -file ca.pem >/dev/null 2>&1
  keytool -importcert -keystore keystore.p12 -storepass "$pass" -alias broker -file server.pem >/dev/null 2>&1
fi
chmod 600 ./*
