#!/usr/bin/env bash
# Generates the openssl fixtures in testdata/openssl once; they are
# committed, and the tests only read them. Re-running produces new keys and
# signatures (the tests do not depend on particular values).
#
# Two document profiles, each: a CSCA, a Document Signer (DS) issued by it,
# DG1 (specimen MRZ), DG2 (8x8 grey JPEG portrait), an LDS security object
# hashing both with SHA-256, and EF.SOD = 0x77 ‖ CMS SignedData made by
# `openssl cms -sign`:
#   brainpool/  CSCA brainpoolP256r1 (named curve), DS brainpoolP256r1 with
#               EXPLICIT curve parameters, ECDSA-SHA256; plus a CSCA master
#               list (masterlist.ml) signed by the DS key.
#   pss/        CSCA RSA-2048 signing the DS certificate with RSA-PSS,
#               DS RSA-2048, SOD signed with RSASSA-PSS SHA-256 salt 32.
#   aa/         DG15 keys on brainpoolP256r1/P384r1/P512r1 and openssl ECDSA
#               signatures over a challenge (active authentication).
# Uses: openssl 3, python3 (TLV packing), go (the JPEG).
set -euo pipefail
cd "$(dirname "$0")/openssl"
# TD1 MRZ of the Dutch specimen identity card the doccheck tests use, expiring 2034.
MRZ='I<NLDSPECI20142<<<<<<<<<<<<<<<6503101F3401011NLD<<<<<<<<<<<8DE<BRUIJN<<WILLEKE<LISELOTTE<<'
DAYS=36500

tlv() { # tlv HEXTAG FILE > out: BER-TLV around a file
python3 - "$1" "$2" <<'PY'
import sys
tag=bytes.fromhex(sys.argv[1]); v=open(sys.argv[2],'rb').read(); n=len(v)
if n<0x80: l=bytes([n])
else:
    b=n.to_bytes((n.bit_length()+7)//8,'big'); l=bytes([0x80|len(b)])+b
sys.stdout.buffer.write(tag+l+v)
PY
}

make_dgs() { # in profile dir
  printf '%s' "$MRZ" > mrz.txt
  tlv 5F1F mrz.txt > dg1.inner && tlv 61 dg1.inner > dg1.bin
  tmp=$(mktemp -d)
  cat > "$tmp/main.go" <<'GO'
package main

import (
	"image"
	"image/jpeg"
	"os"
)

func main() {
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 4)
	}
	jpeg.Encode(os.Stdout, img, nil)
}
GO
  go run "$tmp/main.go" > portrait.jpg
  rm -r "$tmp"
  python3 - <<'PY'
import struct
img=open('portrait.jpg','rb').read()
face=struct.pack('>IHBBB3sH3s3s', 20+12+len(img), 0, 0,0,0, b'\0\0\0', 0, b'\0\0\0', b'\0\0\0')
info=struct.pack('>BBHHBBHH', 1, 0, 8, 8, 1, 2, 0, 0)
rec=b'FAC\0'+b'010\0'+struct.pack('>IH', 14+len(face)+len(info)+len(img), 1)+face+info+img
open('facial.bin','wb').write(rec)
PY
  tlv 5F2E facial.bin > bdb.bin
  printf '\xa1\x03\x80\x01\x01' > bht.bin
  cat bht.bin bdb.bin > bit.inner && tlv 7F60 bit.inner > bit.bin
  { printf '\x02\x01\x01'; cat bit.bin; } > big.inner && tlv 7F61 big.inner > big.bin
  tlv 75 big.bin > dg2.bin
  rm -f mrz.txt dg1.inner facial.bin bdb.bin bht.bin bit.inner bit.bin big.inner big.bin portrait.jpg
  cat > lds.cnf <<CNF
asn1=SEQUENCE:lds
[lds]
version=INT:0
alg=SEQUENCE:alg
hashes=SEQUENCE:hashes
[alg]
oid=OID:sha256
[hashes]
dg1=SEQUENCE:dg1
dg2=SEQUENCE:dg2
[dg1]
n=INT:1
h=FORMAT:HEX,OCT:$(openssl dgst -sha256 -r dg1.bin | cut -d' ' -f1)
[dg2]
n=INT:2
h=FORMAT:HEX,OCT:$(openssl dgst -sha256 -r dg2.bin | cut -d' ' -f1)
CNF
  openssl asn1parse -genconf lds.cnf -out lds.der -noout
  rm lds.cnf
}

wrap_sod() { tlv 77 sod.cms > sod.bin; rm sod.cms; }

# --- brainpool
mkdir -p brainpool && cd brainpool
openssl ecparam -name brainpoolP256r1 -genkey -noout -out csca.key
openssl req -new -x509 -key csca.key -sha256 -days $DAYS -subj "/C=UT/O=IDV Test/CN=Test CSCA brainpool" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out csca.pem
openssl ecparam -name brainpoolP256r1 -genkey -noout -param_enc explicit -out ds.key
openssl req -new -key ds.key -subj "/C=UT/O=IDV Test/CN=Test DS brainpool" -out ds.csr
printf 'keyUsage=critical,digitalSignature\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > ds.ext
openssl x509 -req -in ds.csr -CA csca.pem -CAkey csca.key -set_serial 2 -days $DAYS -sha256 -extfile ds.ext -out ds.pem
make_dgs
openssl cms -sign -binary -nodetach -nosmimecap -in lds.der -econtent_type 2.23.136.1.1.1 \
  -signer ds.pem -inkey ds.key -md sha256 -outform DER -out sod.cms
wrap_sod
# Master list: SEQUENCE { INTEGER 0, SET { CSCA } }, signed by the DS key.
openssl x509 -in csca.pem -outform DER -out csca.der
python3 - <<'PY'
c=open('csca.der','rb').read()
def tl(t,v):
    n=len(v); l=bytes([n]) if n<0x80 else bytes([0x80|((n.bit_length()+7)//8)])+n.to_bytes((n.bit_length()+7)//8,'big')
    return bytes([t])+l+v
open('ml.der','wb').write(tl(0x30, tl(0x02,b'\0')+tl(0x31,c)))
PY
openssl cms -sign -binary -nodetach -nosmimecap -in ml.der -econtent_type 2.23.136.1.1.2 \
  -signer ds.pem -inkey ds.key -md sha256 -outform DER -out masterlist.ml
rm -f ds.csr ds.ext csca.der ml.der lds.der
cd ..

# --- RSA-PSS
mkdir -p pss && cd pss
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out csca.key
openssl req -new -x509 -key csca.key -sha256 -days $DAYS -subj "/C=UT/O=IDV Test/CN=Test CSCA PSS" \
  -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out csca.pem
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out ds.key
openssl req -new -key ds.key -subj "/C=UT/O=IDV Test/CN=Test DS PSS" -out ds.csr
printf 'keyUsage=critical,digitalSignature\n' > ds.ext
openssl x509 -req -in ds.csr -CA csca.pem -CAkey csca.key -set_serial 3 -days $DAYS -sha256 \
  -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 -extfile ds.ext -out ds.pem
make_dgs
openssl cms -sign -binary -nodetach -nosmimecap -in lds.der -econtent_type 2.23.136.1.1.1 \
  -signer ds.pem -inkey ds.key -md sha256 -keyopt rsa_padding_mode:pss -keyopt rsa_pss_saltlen:32 \
  -outform DER -out sod.cms
wrap_sod
rm -f ds.csr ds.ext lds.der
cd ..
# --- active authentication with brainpool DG15 keys: a key per curve, its
# DG15 (0x6F around the SubjectPublicKeyInfo, explicit parameters for 384),
# and openssl's ECDSA signature (DER) over an 8-byte challenge with the hash
# of the curve's size.
mkdir -p aa && cd aa
printf '\x01\x23\x45\x67\x89\xab\xcd\xef' > challenge.bin
for spec in brainpoolP256r1:sha256:named_curve brainpoolP384r1:sha384:explicit brainpoolP512r1:sha512:named_curve; do
  IFS=: read -r curve md enc <<<"$spec"
  openssl ecparam -name "$curve" -genkey -noout -param_enc "$enc" -out "$curve.key"
  openssl ec -in "$curve.key" -pubout -outform DER -out "$curve.spki" 2>/dev/null
  tlv 6F "$curve.spki" > "$curve.dg15"
  openssl dgst "-$md" -sign "$curve.key" -out "$curve.sig" challenge.bin
  rm "$curve.spki"
done
cd ..

# Private keys are not needed by the tests.
rm -f brainpool/*.key pss/*.key aa/*.key
