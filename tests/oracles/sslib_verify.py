"""Oracle: verify a DSSE envelope with securesystemslib.

    target/oracles/venv/bin/python tests/oracles/sslib_verify.py \
        ENVELOPE_JSON PUBLIC_KEY_PEM KEYID

Prints "verified" and exits 0 on success; prints the error to stderr and exits
1 otherwise (2 on bad usage, 3 if run outside the oracle venv).

securesystemslib only checks signatures whose "keyid" equals KEYID (it skips
the rest), so the envelope's signature must carry that keyid. The scheme is
inferred from the key: ecdsa-sha2-nistp256 for P-256, ed25519 for Ed25519.
"""

import json
import sys

try:
    from cryptography.hazmat.primitives.serialization import load_pem_public_key
    from securesystemslib.dsse import Envelope
    from securesystemslib.signer import SSlibKey
except ImportError as e:  # exit 3, not 1, so tests can tell "not installed" from "rejected"
    print(f"oracle not installed (run scripts/install-oracles.sh and use its venv): {e}", file=sys.stderr)
    sys.exit(3)


def main(envelope_path: str, key_path: str, keyid: str) -> None:
    with open(envelope_path, encoding="utf-8") as f:
        envelope = Envelope.from_dict(json.load(f))
    with open(key_path, "rb") as f:
        public_key = load_pem_public_key(f.read())
    # securesystemslib >= 1.0 dropped SSlibKey.from_pem; from_crypto is its
    # replacement and picks the default scheme for the key type.
    key = SSlibKey.from_crypto(public_key, keyid=keyid)
    envelope.verify([key], 1)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print("usage: sslib_verify.py ENVELOPE_JSON PUBLIC_KEY_PEM KEYID", file=sys.stderr)
        sys.exit(2)
    try:
        main(*sys.argv[1:])
    except Exception as e:  # any failure (parse, key, signature) is a rejection
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
    print("verified")
