"""In-process DSSE verification loop for securesystemslib (a peer of vouch).

    target/oracles/venv/bin/python bench/peer_loop.py BUNDLE_JSON PUBLIC_KEY_PEM N REPS

Takes the dsseEnvelope out of a Sigstore bundle written by `vouch sign-blob
--in-toto`, then times REPS repetitions of N calls to Envelope.verify([key], 1)
(PAE + one ECDSA P-256 signature check). Parsing and key loading happen once,
outside the timed loop. Prints one JSON object: median/min/max ms per
verification over the repetitions. Bounded: exactly one warm-up repetition
plus REPS repetitions, then it exits. No timing is asserted.
"""

import base64
import json
import statistics
import sys
import time

from cryptography.hazmat.primitives.serialization import load_pem_public_key
from securesystemslib.dsse import Envelope
from securesystemslib.exceptions import VerificationError
from securesystemslib.signer import SSlibKey


def main(bundle_path: str, key_path: str, n: int, reps: int) -> None:
    with open(bundle_path, encoding="utf-8") as f:
        env_dict = json.load(f)["dsseEnvelope"]
    with open(key_path, "rb") as f:
        public_key = load_pem_public_key(f.read())
    key = SSlibKey.from_crypto(public_key)
    # securesystemslib requires a "keyid" and only checks signatures whose
    # keyid equals the key's; bundles omit an empty keyid, so file the
    # signature under our key's (as sslib_verify.py's caller does).
    for sig in env_dict["signatures"]:
        sig["keyid"] = sig.get("keyid") or key.keyid
    envelope = Envelope.from_dict(json.loads(json.dumps(env_dict)))  # from_dict mutates its input

    # Negative control: a forged payload must be rejected, so we are not
    # timing a verifier that accepts everything.
    payload = bytearray(base64.b64decode(env_dict["payload"]))
    payload[-2] ^= 1  # flip one bit inside the statement
    forged = dict(env_dict, payload=base64.b64encode(payload).decode())
    try:
        Envelope.from_dict(json.loads(json.dumps(forged))).verify([key], 1)
        sys.exit("peer_loop.py: forged envelope verified; refusing to benchmark")
    except VerificationError:  # a signature rejection, not a setup error
        pass

    def rep(count: int) -> float:
        t0 = time.perf_counter_ns()
        for _ in range(count):
            envelope.verify([key], 1)  # raises on failure
        return (time.perf_counter_ns() - t0) / 1e6 / count  # ms per verification

    rep(max(1, n // 10))  # warm-up, discarded
    per_op = [rep(n) for _ in range(reps)]
    print(json.dumps({
        "tool": "securesystemslib Envelope.verify",
        "payload_bytes": len(envelope.payload),
        "n": n, "reps": reps,
        "median_ms": statistics.median(per_op),
        "min_ms": min(per_op), "max_ms": max(per_op),
    }))


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit("usage: peer_loop.py BUNDLE_JSON PUBLIC_KEY_PEM N REPS")
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
