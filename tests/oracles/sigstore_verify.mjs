// Oracle: verify a keyed Sigstore bundle (v0.3) OFFLINE with sigstore-js.
//
//   node tests/oracles/sigstore_verify.mjs BUNDLE_JSON ARTIFACT_FILE|- PUBLIC_KEY_PEM
//
// ARTIFACT_FILE "-" means no artifact (DSSE bundles carry their payload).
// Prints "verified" and exits 0 on success; prints the error to stderr and
// exits 1 otherwise (2 on bad usage, 3 if the npm packages are missing).
//
// Packages come from target/oracles/npm (scripts/install-oracles.sh), or the
// directory in $VOUCH_ORACLES_NPM; we load them with createRequire because
// NODE_PATH does not apply to ES modules.
import { createHash, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const npmDir = process.env.VOUCH_ORACLES_NPM
  ?? fileURLToPath(new URL('../../target/oracles/npm', import.meta.url));
const require = createRequire(join(npmDir, 'package.json'));
let bundleFromJSON, score, HashAlgorithm, PublicKeyDetails, Verifier, toSignedEntity, toTrustMaterial;
try {
  ({ bundleFromJSON } = require('@sigstore/bundle'));
  ({ crypto: score } = require('@sigstore/core'));
  ({ HashAlgorithm, PublicKeyDetails } = require('@sigstore/protobuf-specs'));
  ({ Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify'));
} catch (e) {
  // Exit 3, not 1, so a test can tell "not installed" from "rejected".
  process.stderr.write(`oracle not installed (run scripts/install-oracles.sh): ${e.message}\n`);
  process.exit(3);
}

// PublicKeyDetails for the key types vouch signs with. (@sigstore/verify's
// key lookup only reads rawBytes as SPKI DER, but we fill keyDetails honestly.)
function keyDetails(key) {
  const t = key.asymmetricKeyType;
  if (t === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    return PublicKeyDetails.PKIX_ECDSA_P256_SHA_256;
  }
  if (t === 'ed25519') return PublicKeyDetails.PKIX_ED25519;
  throw new Error(`unsupported public key type: ${t} ${key.asymmetricKeyDetails?.namedCurve ?? ''}`);
}

function main(argv) {
  if (argv.length !== 3) {
    process.stderr.write('usage: sigstore_verify.mjs BUNDLE_JSON ARTIFACT_FILE|- PUBLIC_KEY_PEM\n');
    process.exit(2);
  }
  const [bundlePath, artifactPath, keyPath] = argv;
  const bundle = bundleFromJSON(JSON.parse(readFileSync(bundlePath, 'utf8')));
  const artifact = artifactPath === '-' ? undefined : readFileSync(artifactPath);

  const vm = bundle.verificationMaterial.content;
  if (vm?.$case !== 'publicKey') {
    throw new Error(`not a keyed bundle (verificationMaterial is ${vm?.$case})`);
  }
  const key = createPublicKey(readFileSync(keyPath));

  // Empty trusted root: no CAs, TSAs, tlogs or ctlogs; only our key, filed
  // under the hint Sigstore clients derive from it (base64 of the SHA-256 of
  // its SPKI DER). A bundle whose hint is not that is not found: rejected.
  const spki = key.export({ type: 'spki', format: 'der' });
  const hint = createHash('sha256').update(spki).digest('base64');
  const emptyRoot = { certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [] };
  const trust = toTrustMaterial(emptyRoot, {
    [hint]: {
      rawBytes: spki,
      keyDetails: keyDetails(key),
      validFor: undefined, // unbounded
    },
  });

  if (bundle.content.$case === 'messageSignature') {
    if (!artifact) throw new Error('messageSignature bundle needs an artifact');
    // Stricter than @sigstore/verify, which checks the signature over the
    // artifact but never compares messageDigest with it: reject a bundle
    // whose recorded digest lies.
    const { algorithm, digest } = bundle.content.messageSignature.messageDigest;
    const alg = {
      [HashAlgorithm.SHA2_256]: 'sha256',
      [HashAlgorithm.SHA2_384]: 'sha384',
      [HashAlgorithm.SHA2_512]: 'sha512',
    }[algorithm];
    if (!alg) throw new Error(`unsupported messageDigest algorithm ${HashAlgorithm[algorithm]}`);
    if (!score.bufferEqual(score.digest(alg, artifact), digest)) {
      throw new Error('messageDigest does not match artifact (oracle check)');
    }
  }

  const verifier = new Verifier(trust, {
    tlogThreshold: 0,
    ctlogThreshold: 0,
    timestampThreshold: 0, // replaces the deprecated tsaThreshold
  });
  verifier.verify(toSignedEntity(bundle, artifact));
  process.stdout.write('verified\n');
}

try {
  main(process.argv.slice(2));
} catch (e) {
  const code = e.code ? `${e.code}: ` : '';
  const fields = e.fields ? ` [${e.fields.join(', ')}]` : ''; // bundle ValidationError
  process.stderr.write(`${code}${e.message}${fields}\n`);
  process.exit(1);
}
