"""cosign's encrypted private key format, implemented independently of vouch
(PyNaCl's SecretBox, hashlib.scrypt, the `cryptography` package), as
go-securesystemslib's `encrypted` package and cosign's pkg/cosign/keys.go
define it. Used by cli/tests/cosign_keys.rs.

  cosign_key.py decrypt KEY        prints the SPKI PEM public key of the
                                   PKCS#8 key inside KEY
  cosign_key.py encrypt OUT [LABEL] writes a new P-256 key to OUT, encrypted,
                                   and prints its SPKI PEM public key

The password is VOUCH_PASSWORD's value.
"""

import base64
import hashlib
import json
import os
import sys

import nacl.secret
import nacl.utils
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

LABELS = ("ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY")


def password() -> bytes:
    return os.environb[b"VOUCH_PASSWORD"]


def scrypt(salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password(), salt=salt, n=n, r=r, p=p, maxmem=512 * 1024 * 1024, dklen=32
    )


def unpem(text: str) -> tuple[str, bytes]:
    lines = text.strip().splitlines()
    begin, end = lines[0], lines[-1]
    label = begin.removeprefix("-----BEGIN ").removesuffix("-----")
    assert end == f"-----END {label}-----", (begin, end)
    return label, base64.b64decode("".join(lines[1:-1]), validate=True)


def pem(label: str, der: bytes) -> str:
    body = base64.b64encode(der).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"]) + "\n"


def public_pem(private) -> str:
    return private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def decrypt(path: str) -> None:
    with open(path) as f:
        label, body = unpem(f.read())
    assert label in LABELS, label
    doc = json.loads(body)
    assert doc["kdf"]["name"] == "scrypt", doc["kdf"]
    assert doc["cipher"]["name"] == "nacl/secretbox", doc["cipher"]
    params = doc["kdf"]["params"]
    # What cosign writes by default (go-securesystemslib's Standard set).
    assert params == {"N": 65536, "r": 8, "p": 1}, params
    salt = base64.b64decode(doc["kdf"]["salt"], validate=True)
    assert len(salt) == 32, len(salt)
    key = scrypt(salt, params["N"], params["r"], params["p"])
    nonce = base64.b64decode(doc["cipher"]["nonce"], validate=True)
    ciphertext = base64.b64decode(doc["ciphertext"], validate=True)
    pkcs8 = nacl.secret.SecretBox(key).decrypt(ciphertext, nonce)
    private = serialization.load_der_private_key(pkcs8, password=None)
    sys.stdout.write(public_pem(private))


def encrypt(path: str, label: str) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    pkcs8 = private.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    salt = nacl.utils.random(32)
    nonce = nacl.utils.random(nacl.secret.SecretBox.NONCE_SIZE)
    key = scrypt(salt, 65536, 8, 1)
    sealed = nacl.secret.SecretBox(key).encrypt(pkcs8, nonce).ciphertext
    doc = {
        "kdf": {
            "name": "scrypt",
            "params": {"N": 65536, "r": 8, "p": 1},
            "salt": base64.b64encode(salt).decode(),
        },
        "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(nonce).decode()},
        "ciphertext": base64.b64encode(sealed).decode(),
    }
    body = json.dumps(doc, separators=(",", ":")).encode()
    with open(path, "x") as f:
        f.write(pem(label, body))
    sys.stdout.write(public_pem(private))


def main() -> None:
    if sys.argv[1] == "decrypt":
        decrypt(sys.argv[2])
    elif sys.argv[1] == "encrypt":
        encrypt(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else LABELS[0])
    else:
        sys.exit(f"unknown command {sys.argv[1]!r}")


if __name__ == "__main__":
    main()
