"""A local AWS KMS emulator for vouch's tests: moto's server, with one fix.

TEST HARNESS ONLY. Starts moto (tests/oracles/requirements.txt) on 127.0.0.1
on a free port, prints `listening PORT` on stdout, and serves until stdin
closes or the process is killed (cli/tests/common/kms.rs).

The fix: moto 5.2.5's KMS ignores `MessageType=DIGEST` in Sign and Verify and
hashes the 32-byte digest again, so a signature made as AWS KMS makes it
(ECDSA over the digest as given) never verifies. vouch signs with
`MessageType=DIGEST` (its messages can exceed KMS's 4,096-byte RAW limit),
so without this patch every signature is refused by vouch's own check.
The patch makes moto's ECDSA keys honour DIGEST as AWS does: the message must
be exactly one digest long (32 bytes for ECDSA_SHA_256) and is signed or
verified pre-hashed. Pass `--no-digest-fix` to run moto unpatched (the
tests do, to show the fix matters). RAW signing and everything else is
moto's own.
"""

import contextvars
import sys

from cryptography.hazmat.primitives.asymmetric import ec, utils
from moto.core.exceptions import JsonRESTError
from moto.kms import responses as kms_responses
from moto.kms import utils as kms_utils
from moto.server import ThreadedMotoServer

# Whether the request being served asked for MessageType=DIGEST.
_DIGEST = contextvars.ContextVar("digest", default=False)

_DIGEST_LENGTHS = {"ECDSA_SHA_256": 32, "ECDSA_SHA_384": 48, "ECDSA_SHA_512": 64}


def _honour_digest(handler):
    def patched(self):
        token = _DIGEST.set(self._get_param("MessageType") == "DIGEST")
        try:
            return handler(self)
        finally:
            _DIGEST.reset(token)

    return patched


def _prehashed(key, signing_algorithm, message):
    """The ECDSA scheme for `message`: pre-hashed when DIGEST was asked."""
    kms_utils.validate_signing_algorithm(signing_algorithm, key.valid_signing_algorithms)
    hash_algorithm = key._ECDSAPrivateKey__hash_algorithm(signing_algorithm)
    if not _DIGEST.get():
        return ec.ECDSA(hash_algorithm)
    if len(message) != _DIGEST_LENGTHS[signing_algorithm]:
        raise JsonRESTError(
            "ValidationException",
            f"Digest is invalid length for algorithm {signing_algorithm}.",
        )
    return ec.ECDSA(utils.Prehashed(hash_algorithm))


def _sign(self, message, signing_algorithm):
    return self.private_key.sign(message, _prehashed(self, signing_algorithm, message))


def _verify(self, message, signature, signing_algorithm):
    try:
        self.private_key.public_key().verify(
            signature, message, _prehashed(self, signing_algorithm, message)
        )
        return True
    except Exception:  # InvalidSignature: moto answers SignatureValid=false
        return False


def main():
    if "--no-digest-fix" not in sys.argv[1:]:
        kms_responses.KmsResponse.sign = _honour_digest(kms_responses.KmsResponse.sign)
        kms_responses.KmsResponse.verify = _honour_digest(kms_responses.KmsResponse.verify)
        kms_utils.ECDSAPrivateKey.sign = _sign
        kms_utils.ECDSAPrivateKey.verify = _verify
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    print(f"listening {port}", flush=True)
    sys.stdin.read()  # until the test closes stdin (or kills us)
    server.stop()


if __name__ == "__main__":
    main()
