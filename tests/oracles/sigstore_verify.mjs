// Oracle: verify a Sigstore bundle (v0.3) OFFLINE with sigstore-js.
//
//   node tests/oracles/sigstore_verify.mjs BUNDLE_JSON ARTIFACT_FILE|- PUBLIC_KEY_PEM
//   node tests/oracles/sigstore_verify.mjs --trusted-root TRUSTED_ROOT_JSON \
//        --identity SAN --issuer OIDC_ISSUER BUNDLE_JSON ARTIFACT_FILE|-
//
// The first form checks a keyed bundle against the key alone. The second
// (keyless) checks the bundle against the trusted root with sigstore-js's
// default thresholds (one SCT, one transparency-log entry, one timestamp,
// each verified against the root) and the certificate's identity: its
// subject alternative name must be SAN and its issuer extension OIDC_ISSUER.
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
let bundleFromJSON, score, HashAlgorithm, PublicKeyDetails, TrustedRoot, Verifier, toSignedEntity, toTrustMaterial;
try {
  ({ bundleFromJSON } = require('@sigstore/bundle'));
  ({ crypto: score } = require('@sigstore/core'));
  ({ HashAlgorithm, PublicKeyDetails, TrustedRoot } = require('@sigstore/protobuf-specs'));
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

// Stricter than @sigstore/verify, which checks the signature over the
// artifact but never compares messageDigest with it: reject a bundle whose
// recorded digest lies.
function checkMessageDigest(bundle, artifact) {
  if (bundle.content.$case !== 'messageSignature') return;
  if (!artifact) throw new Error('messageSignature bundle needs an artifact');
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

function usage() {
  process.stderr.write(
    'usage: sigstore_verify.mjs BUNDLE_JSON ARTIFACT_FILE|- PUBLIC_KEY_PEM\n'
    + '       sigstore_verify.mjs --trusted-root FILE --identity SAN --issuer URL BUNDLE_JSON ARTIFACT_FILE|-\n',
  );
  process.exit(2);
}

function keyless(argv) {
  const flags = {};
  while (argv.length > 0 && argv[0].startsWith('--')) {
    const [flag, value] = argv.splice(0, 2);
    if (!['--trusted-root', '--identity', '--issuer'].includes(flag) || value === undefined) usage();
    flags[flag] = value;
  }
  if (argv.length !== 2 || Object.keys(flags).length !== 3) usage();
  const [bundlePath, artifactPath] = argv;
  const bundle = bundleFromJSON(JSON.parse(readFileSync(bundlePath, 'utf8')));
  const artifact = artifactPath === '-' ? undefined : readFileSync(artifactPath);
  if (bundle.verificationMaterial.content?.$case === 'publicKey') {
    throw new Error('not a keyless bundle (verificationMaterial is publicKey)');
  }
  checkMessageDigest(bundle, artifact);
  const root = TrustedRoot.fromJSON(JSON.parse(readFileSync(flags['--trusted-root'], 'utf8')));
  const verifier = new Verifier(toTrustMaterial(root)); // default thresholds: 1 each
  verifier.verify(toSignedEntity(bundle, artifact), {
    subjectAlternativeName: flags['--identity'],
    extensions: { issuer: flags['--issuer'] },
  });
  process.stdout.write('verified\n');
}

function main(argv) {
  if (argv[0] === '--trusted-root' || argv[0] === '--identity' || argv[0] === '--issuer') {
    keyless(argv);
    return;
  }
  if (argv.length !== 3) usage();
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

  checkMessageDigest(bundle, artifact);

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
