// In-process DSSE bundle verification loop for @sigstore/verify (a peer of vouch).
//
//   node bench/peer_loop.mjs BUNDLE_JSON PUBLIC_KEY_PEM N REPS
//
// Same trust setup as tests/oracles/sigstore_verify.mjs (empty trusted root,
// our key filed under its hint, all thresholds 0). Parsing, trust material
// and the signed entity are built once; the timed loop is REPS repetitions of
// N calls to Verifier.verify(entity) (PAE + one ECDSA P-256 check). Prints one
// JSON object with median/min/max ms per verification. Bounded; asserts no
// timing.
import { createHash, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Load packages from target/oracles/npm the way the oracle script does:
// createRequire, because NODE_PATH does not apply to ES modules.
const npmDir = process.env.VOUCH_ORACLES_NPM
  ?? fileURLToPath(new URL('../target/oracles/npm', import.meta.url));
const require = createRequire(join(npmDir, 'package.json'));
const { bundleFromJSON } = require('@sigstore/bundle');
const { PublicKeyDetails } = require('@sigstore/protobuf-specs');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');

const [bundlePath, keyPath, nArg, repsArg] = process.argv.slice(2);
if (!repsArg) {
  process.stderr.write('usage: peer_loop.mjs BUNDLE_JSON PUBLIC_KEY_PEM N REPS\n');
  process.exit(2);
}
const n = Number(nArg);
const reps = Number(repsArg);

const bundleJson = JSON.parse(readFileSync(bundlePath, 'utf8'));
const key = createPublicKey(readFileSync(keyPath));
const spki = key.export({ type: 'spki', format: 'der' });
const hint = createHash('sha256').update(spki).digest('base64');
const trust = toTrustMaterial(
  { certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [] },
  { [hint]: { rawBytes: spki, keyDetails: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256, validFor: undefined } },
);
const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
const entity = toSignedEntity(bundleFromJSON(bundleJson));

// Negative control: a forged payload must be rejected.
const forgedJson = structuredClone(bundleJson);
const forgedPayload = Buffer.from(forgedJson.dsseEnvelope.payload, 'base64');
forgedPayload[forgedPayload.length - 2] ^= 1; // flip one bit inside the statement
forgedJson.dsseEnvelope.payload = forgedPayload.toString('base64');
let controlFailed = true;
try {
  verifier.verify(toSignedEntity(bundleFromJSON(forgedJson)));
} catch (e) {
  controlFailed = e.code !== 'SIGNATURE_ERROR'; // only a signature rejection counts
}
if (controlFailed) {
  process.stderr.write('peer_loop.mjs: forged bundle not rejected on its signature; refusing to benchmark\n');
  process.exit(1);
}

function rep(count) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) verifier.verify(entity); // throws on failure
  return Number(process.hrtime.bigint() - t0) / 1e6 / count; // ms per verification
}

rep(Math.max(1, Math.floor(n / 10))); // warm-up (JIT), discarded
const perOp = Array.from({ length: reps }, () => rep(n)).sort((a, b) => a - b);
const mid = perOp.length >> 1;
const median = perOp.length % 2 ? perOp[mid] : (perOp[mid - 1] + perOp[mid]) / 2;
process.stdout.write(JSON.stringify({
  tool: '@sigstore/verify Verifier.verify',
  payload_bytes: Buffer.from(bundleJson.dsseEnvelope.payload, 'base64').length,
  n, reps, median_ms: median, min_ms: perOp[0], max_ms: perOp[perOp.length - 1],
}) + '\n');
