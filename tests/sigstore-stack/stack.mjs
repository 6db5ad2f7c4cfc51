// A local Sigstore stack for tests: a test OIDC issuer (with a GitHub Actions
// token endpoint), Fulcio, Rekor v1, Rekor v2 and an RFC 3161 TSA, each on
// its own ephemeral port of 127.0.0.1. TEST ONLY: every key is generated at
// start and thrown away at exit.
//
//   node tests/sigstore-stack/stack.mjs --out DIR [--fault SERVICE=MODE]...
//
// SERVICE is oidc, fulcio, rekor (v1), rekor2 or tsa; MODE is
//   down  nothing listens on its port (connection refused),
//   500   it answers every request with HTTP 500,
//   hang  it reads the request and never answers (the caller's timeout fires).
//
// Once every service listens it writes into DIR
//   trusted_root.json       the Fulcio CA, CT log, both Rekor logs, TSA chain
//   signing_config.json     v0.2 signing config naming Rekor v1 only
//   signing_config_v2.json  the same naming Rekor v2 only
//   client_trust_config{,_v2}.json  sigstore-python's --trust-config: the
//                           trusted root and one of the signing configs
//   ready.json              URLs, ports, issuers, the GitHub Actions env
// then prints one line, `ready DIR/ready.json`, on stdout. It exits when its
// stdin closes, or on SIGTERM/SIGINT.
//
// Tokens (on the control server, `control` in ready.json):
//   GET /token?email=E              a token of the test issuer for E (sub=E)
//   GET /token?sub=S                a token whose subject is S (a URI for Fulcio)
//     &aud=A      audience (default sigstore)
//     &ttl=N      lifetime in seconds (default 300); &expired=1: expired a minute ago
//     &issuer=untrusted   signed by the issuer's key, but naming an issuer
//                         Fulcio does not know
//     &key=foreign        naming the test issuer, signed by a key it never published
//   GET /github/token?...&audience=A  GitHub Actions' ID token endpoint: answers
//     {"value": JWT} (GitHub issuer, workflow claims) only with
//     `Authorization: bearer <ACTIONS_ID_TOKEN_REQUEST_TOKEN>`.
//
// Built on @sigstore/mock's CA, CT log, transparency log key and TSA, with
// the fixes docs/decisions.md lists (token and proof-of-possession checks,
// canonicalised Rekor entries in a real Merkle log, binary RFC 3161, whole
// seconds, Rekor v2 entries as verifiers read them).
import crypto from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const npmDir = process.env.VOUCH_ORACLES_NPM
  ?? fileURLToPath(new URL('../../target/oracles/npm', import.meta.url));
const require = createRequire(join(npmDir, 'package.json'));
require('reflect-metadata');
const mock = require('@sigstore/mock');
const x509 = require('@peculiar/x509');
const asn1js = require('asn1js');
const pkijs = require('pkijs');
const jose = require('jose');
const canonicalize = require('canonicalize');

// --- arguments ---------------------------------------------------------------
const SERVICES = ['oidc', 'fulcio', 'rekor', 'rekor2', 'tsa'];
const MODES = ['down', '500', 'hang'];

function usage(msg) {
  process.stderr.write(`stack.mjs: ${msg}\nusage: stack.mjs --out DIR [--fault SERVICE=MODE]...\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { out: undefined, faults: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--out') opts.out = argv[++i];
    else if (a === '--fault') {
      const [svc, mode] = (argv[++i] ?? '').split('=');
      if (!SERVICES.includes(svc) || !MODES.includes(mode)) usage(`bad --fault ${argv[i]}`);
      opts.faults[svc] = mode;
    } else usage(`unknown argument ${a}`);
  }
  if (!opts.out) usage('--out is required');
  return opts;
}

// --- small helpers -----------------------------------------------------------
const b64 = (buf) => Buffer.from(buf).toString('base64');
const sha256 = (data) => crypto.createHash('sha256').update(data).digest();
const nowSeconds = () => Math.floor(Date.now() / 1000);
// Whole seconds: @sigstore/core cannot parse every fractional GeneralizedTime.
const wholeSecondDate = () => new Date(nowSeconds() * 1000);

// PEM as Go's pem.EncodeToMemory writes it (64 columns, final newline):
// what Rekor stores as a key's canonical value.
function pem(label, der) {
  const lines = b64(der).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

// A verifier as Rekor v1 canonicalises it: certificate or public key PEM,
// re-encoded. Accepts PEM or DER, and base64 of either.
function canonicalVerifier(raw) {
  let text = Buffer.from(raw).toString('utf8');
  if (!text.includes('-----BEGIN')) {
    const decoded = Buffer.from(text, 'base64').toString('utf8');
    if (decoded.includes('-----BEGIN')) text = decoded;
  }
  if (text.includes('-----BEGIN CERTIFICATE-----')) {
    const cert = new crypto.X509Certificate(text);
    return { pem: pem('CERTIFICATE', cert.raw), key: cert.publicKey };
  }
  const key = crypto.createPublicKey(text);
  return { pem: pem('PUBLIC KEY', key.export({ type: 'spki', format: 'der' })), key };
}

// Signature check with the digest Sigstore uses for a key: SHA-256 for
// ECDSA P-256 and RSA, SHA-384 for P-384, none (pure) for Ed25519.
function verifySig(key, data, sig) {
  const type = key.asymmetricKeyType;
  let alg = 'sha256';
  if (type === 'ed25519') alg = null;
  else if (type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'secp384r1') alg = 'sha384';
  try {
    return crypto.verify(alg, data, key, sig);
  } catch {
    return false;
  }
}

// DSSE pre-authentication encoding.
function pae(type, payload) {
  const t = Buffer.from(type, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${t.length} `), t, Buffer.from(` ${payload.length} `), payload,
  ]);
}

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// --- a Merkle log (RFC 6962) -------------------------------------------------
const leafHash = (data) => sha256(Buffer.concat([Buffer.from([0]), data]));
const nodeHash = (l, r) => sha256(Buffer.concat([Buffer.from([1]), l, r]));
const largestPow2Below = (n) => { let k = 1; while (k * 2 < n) k *= 2; return k; };

function merkleRoot(leaves) {
  if (leaves.length === 1) return leaves[0];
  const k = largestPow2Below(leaves.length);
  return nodeHash(merkleRoot(leaves.slice(0, k)), merkleRoot(leaves.slice(k)));
}

function auditPath(index, leaves) {
  if (leaves.length <= 1) return [];
  const k = largestPow2Below(leaves.length);
  if (index < k) return [...auditPath(index, leaves.slice(0, k)), merkleRoot(leaves.slice(k))];
  return [...auditPath(index - k, leaves.slice(k)), merkleRoot(leaves.slice(0, k))];
}

// One transparency log: the entries' leaf hashes, a signing key, and signed
// checkpoints (C2SP signed note: "— <name> base64(keyhint || signature)").
class MerkleLog {
  constructor(name, origin, keyPair, withTimestamp) {
    this.name = name; // the signature line's name; verifiers match it to the log URL
    this.origin = origin;
    this.privateKey = keyPair.privateKey;
    this.spki = keyPair.publicKey.export({ type: 'spki', format: 'der' });
    this.logId = sha256(this.spki);
    this.withTimestamp = withTimestamp;
    this.leaves = [];
  }

  append(body) {
    this.leaves.push(leafHash(body));
    return this.leaves.length - 1;
  }

  proof(index, timestamp) {
    const treeSize = this.leaves.length;
    const root = merkleRoot(this.leaves);
    const lines = [this.origin, `${treeSize}`, b64(root)];
    if (this.withTimestamp) lines.push(`Timestamp: ${BigInt(timestamp) * 1_000_000_000n}`);
    const note = `${lines.join('\n')}\n`;
    const sig = crypto.sign('sha256', Buffer.from(note), this.privateKey);
    const signed = b64(Buffer.concat([this.logId.subarray(0, 4), sig]));
    return {
      logIndex: index,
      treeSize,
      rootHash: root,
      hashes: auditPath(index, this.leaves),
      checkpoint: `${note}\n\u2014 ${this.name} ${signed}\n`,
    };
  }
}

// --- servers -------------------------------------------------------------------
function readBody(req, limit = 4 << 20) {
  return new Promise((res, rej) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > limit) { rej(new HttpError(413, 'request too large')); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => res(Buffer.concat(chunks)));
    req.on('error', rej);
  });
}

// Serves `routes` (an async function of (req, url, body) returning
// {status, type, body}) on 127.0.0.1:0, with the fault `mode` if any.
async function serve(name, routes, mode) {
  const hung = new Set();
  const server = http.createServer(async (req, res) => {
    try {
      const body = await readBody(req);
      if (mode === 'hang') { hung.add(res); return; }
      if (mode === '500') throw new HttpError(500, 'fault injected: internal error');
      const url = new URL(req.url, 'http://127.0.0.1');
      const out = await routes(req, url, body);
      const payload = Buffer.from(out.body);
      res.writeHead(out.status, {
        'Content-Type': out.type ?? 'application/json', 'Content-Length': payload.length,
      });
      res.end(payload);
    } catch (e) {
      const status = e instanceof HttpError ? e.status : 400;
      process.stderr.write(`stack: ${name}: ${req.method} ${req.url}: ${status} ${e.message}\n`);
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ code: status, message: e.message }));
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const port = server.address().port;
  if (mode === 'down') await new Promise((ok) => server.close(ok));
  return { server, port, url: `http://127.0.0.1:${port}`, hung };
}

const json = (status, value) => ({ status, body: JSON.stringify(value) });

// --- OIDC issuer -------------------------------------------------------------------
async function makeIssuer() {
  const { privateKey, publicKey } = await jose.generateKeyPair('ES256');
  const foreign = await jose.generateKeyPair('ES256');
  const jwk = { ...(await jose.exportJWK(publicKey)), kid: 'vouch-test', alg: 'ES256', use: 'sig' };
  return { privateKey, publicKey, foreign: foreign.privateKey, jwk };
}

async function mint(issuer, iss, claims, { ttl = 300, expired = false, key } = {}) {
  const now = nowSeconds();
  const iat = expired ? now - 600 : now;
  const exp = expired ? now - 60 : now + ttl;
  return new jose.SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: 'vouch-test', typ: 'JWT' })
    .setIssuer(iss)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(exp)
    .sign(key ?? issuer.privateKey);
}

// GitHub Actions' ID token claims for one workflow run (a fixed repository).
function githubClaims(aud) {
  const repo = 'octo-org/octo-repo';
  const ref = 'refs/heads/main';
  const sha = 'a'.repeat(40);
  const workflow = `${repo}/.github/workflows/release.yml@${ref}`;
  return {
    aud, sub: `repo:${repo}:ref:${ref}`, ref, sha, repository: repo, repository_id: '1',
    repository_owner: 'octo-org', repository_owner_id: '2', repository_visibility: 'public',
    run_id: '42', run_number: '1', run_attempt: '1', actor: 'octocat', workflow: 'release',
    event_name: 'push', ref_type: 'branch', job_workflow_ref: workflow, job_workflow_sha: sha,
    workflow_ref: workflow, workflow_sha: sha, runner_environment: 'github-hosted',
  };
}

// --- Fulcio ----------------------------------------------------------------------------
// The leaf certificate, as @sigstore/mock's CA issues it but with the SAN
// type Fulcio uses (email for an email principal) and a random serial.
async function issueCertificate(ca, { publicKey, san, extensions }) {
  const key = await ca.crypto.subtle.importKey('spki', publicKey, keyAlgorithm(publicKey), true, ['verify']);
  const now = wholeSecondDate();
  const tbs = {
    serialNumber: crypto.randomBytes(16).toString('hex').replace(/^[89a-f]/, '1'),
    notBefore: now,
    notAfter: new Date(now.getTime() + 10 * 60 * 1000),
    issuer: 'CN=sigstore,O=sigstore.mock',
    publicKey: key,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-384' },
    signingKey: ca.keyPair.privateKey,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.codeSigning]),
      new x509.SubjectAlternativeNameExtension([san], true),
      await x509.SubjectKeyIdentifierExtension.create(key, false, ca.crypto),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keyPair.publicKey, false, ca.crypto),
      ...extensions.map((e) => new x509.Extension(
        e.oid, false,
        e.legacy ? Buffer.from(e.value) : new asn1js.Utf8String({ value: e.value }).toBER(false),
      )),
    ],
  };
  const pre = await x509.X509CertificateGenerator.create(tbs, ca.crypto);
  const sct = await ca.ctLog.log(pre.rawData, await ca.issuerID);
  // pkijs' serialisation already starts with the SCT's length.
  const list = Buffer.concat([Buffer.from([sct.byteLength >> 8, sct.byteLength & 0xff]), Buffer.from(sct)]);
  tbs.extensions.push(new x509.Extension(
    '1.3.6.1.4.1.11129.2.4.2', false, new asn1js.OctetString({ valueHex: list }).toBER(false),
  ));
  const cert = await x509.X509CertificateGenerator.create(tbs, ca.crypto);
  return Buffer.from(cert.rawData);
}

function keyAlgorithm(spki) {
  const key = crypto.createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType === 'ec') {
    const curve = { prime256v1: 'P-256', secp384r1: 'P-384' }[key.asymmetricKeyDetails.namedCurve];
    if (curve) return { name: 'ECDSA', namedCurve: curve };
  }
  throw new HttpError(400, `unsupported public key type ${key.asymmetricKeyType}`);
}

const OID_ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';
const OID_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';

function fulcioRoutes(ctx) {
  return async (req, url, body) => {
    if (req.method !== 'POST' || url.pathname !== '/api/v2/signingCert') {
      throw new HttpError(404, `no route ${req.method} ${url.pathname}`);
    }
    const request = JSON.parse(body.toString('utf8'));
    // The token is in the body, or (as Fulcio's gateway also reads it) in
    // the Authorization header.
    const bearer = /^bearer (\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const token = request?.credentials?.oidcIdentityToken ?? bearer;
    if (typeof token !== 'string') throw new HttpError(401, 'no identity token');

    // The token: our issuers' key, a known issuer, audience sigstore, in date.
    let claims;
    try {
      ({ payload: claims } = await jose.jwtVerify(token, ctx.issuer.publicKey, {
        issuer: [ctx.oidcIssuer, ctx.githubIssuer],
        audience: 'sigstore',
        algorithms: ['ES256'],
        requiredClaims: ['exp', 'iat', 'sub'],
      }));
    } catch (e) {
      throw new HttpError(401, `invalid identity token: ${e.message}`);
    }

    // The principal, as Fulcio's issuer types define it.
    let name, san, extensions;
    if (claims.iss === ctx.githubIssuer) {
      name = claims.sub;
      san = { type: 'url', value: `https://github.com/${claims.job_workflow_ref}` };
      extensions = githubExtensionList(claims);
    } else if (claims.email !== undefined) {
      if (claims.email_verified !== true) throw new HttpError(400, 'email_verified is not true');
      name = claims.email;
      san = { type: 'email', value: claims.email };
      extensions = [];
    } else {
      name = claims.sub;
      try { new URL(name); } catch { throw new HttpError(400, `subject ${name} is not a URI`); }
      san = { type: 'url', value: name };
      extensions = [];
    }
    extensions = [
      { oid: OID_ISSUER_V1, value: claims.iss, legacy: true },
      { oid: OID_ISSUER_V2, value: claims.iss },
      ...extensions,
    ];

    // Proof of possession: a signed CSR, or a signature over the principal.
    let spki;
    if (request.certificateSigningRequest) {
      let csrPem = request.certificateSigningRequest;
      if (!csrPem.includes('-----BEGIN')) csrPem = Buffer.from(csrPem, 'base64').toString('utf8');
      const csr = new x509.Pkcs10CertificateRequest(csrPem);
      if (!(await csr.verify())) throw new HttpError(400, 'the CSR signature does not verify');
      spki = Buffer.from(csr.publicKey.rawData);
    } else {
      const content = request?.publicKeyRequest?.publicKey?.content;
      const pop = request?.publicKeyRequest?.proofOfPossession;
      if (typeof content !== 'string' || typeof pop !== 'string') {
        throw new HttpError(400, 'missing publicKeyRequest.publicKey.content or proofOfPossession');
      }
      const key = crypto.createPublicKey(content);
      if (!verifySig(key, Buffer.from(name, 'utf8'), Buffer.from(pop, 'base64'))) {
        throw new HttpError(400, `the proof of possession is not a signature over ${name}`);
      }
      spki = key.export({ type: 'spki', format: 'der' });
    }

    const leaf = await issueCertificate(ctx.ca, { publicKey: spki, san, extensions });
    return json(201, {
      signedCertificateEmbeddedSct: {
        chain: { certificates: [pem('CERTIFICATE', leaf), pem('CERTIFICATE', ctx.ca.rootCertificate)] },
      },
    });
  };
}

// --- Rekor v1 ------------------------------------------------------------------------
function canonicalV1(entry) {
  const kind = entry?.kind;
  const version = entry?.apiVersion;
  if (kind === 'hashedrekord' && version === '0.0.1') {
    const { data, signature } = entry.spec ?? {};
    const alg = data?.hash?.algorithm;
    const value = data?.hash?.value;
    if (!['sha256', 'sha384', 'sha512'].includes(alg) || !/^[0-9a-f]+$/.test(value ?? '')) {
      throw new HttpError(400, 'hashedrekord: bad data.hash');
    }
    if (typeof signature?.content !== 'string' || typeof signature?.publicKey?.content !== 'string') {
      throw new HttpError(400, 'hashedrekord: missing signature');
    }
    const verifier = canonicalVerifier(Buffer.from(signature.publicKey.content, 'base64'));
    return {
      apiVersion: '0.0.1', kind: 'hashedrekord',
      spec: {
        data: { hash: { algorithm: alg, value } },
        signature: { content: signature.content, publicKey: { content: b64(verifier.pem) } },
      },
    };
  }
  if (kind === 'dsse' && version === '0.0.1') {
    const proposed = entry.spec?.proposedContent;
    if (typeof proposed?.envelope !== 'string' || !Array.isArray(proposed?.verifiers)) {
      throw new HttpError(400, 'dsse: missing proposedContent');
    }
    const env = JSON.parse(proposed.envelope);
    const payload = Buffer.from(env.payload ?? '', 'base64');
    const message = pae(env.payloadType ?? '', payload);
    const verifiers = proposed.verifiers.map((v) => canonicalVerifier(Buffer.from(v, 'base64')));
    // Every signature must verify with a submitted verifier (as Rekor checks).
    const signatures = (env.signatures ?? []).map((s) => {
      const v = verifiers.find((k) => verifySig(k.key, message, Buffer.from(s.sig, 'base64')));
      if (!v) throw new HttpError(400, 'dsse: a signature does not verify with any verifier');
      return { signature: s.sig, verifier: b64(v.pem) };
    });
    if (signatures.length === 0) throw new HttpError(400, 'dsse: no signatures');
    signatures.sort((a, b) => (a.signature < b.signature ? -1 : a.signature > b.signature ? 1 : 0));
    return {
      apiVersion: '0.0.1', kind: 'dsse',
      spec: {
        envelopeHash: { algorithm: 'sha256', value: sha256(proposed.envelope).toString('hex') },
        payloadHash: { algorithm: 'sha256', value: sha256(payload).toString('hex') },
        signatures,
      },
    };
  }
  throw new HttpError(400, `unsupported entry kind ${kind} ${version}`);
}

function rekorV1Routes(log) {
  return async (req, url, body) => {
    if (req.method !== 'POST' || url.pathname !== '/api/v1/log/entries') {
      throw new HttpError(404, `no route ${req.method} ${url.pathname}`);
    }
    const canonical = Buffer.from(canonicalize(canonicalV1(JSON.parse(body.toString('utf8')))), 'utf8');
    const index = log.append(canonical);
    const integratedTime = nowSeconds();
    const logID = log.logId.toString('hex');
    const set = crypto.sign('sha256', Buffer.from(canonicalize({
      body: b64(canonical), integratedTime, logIndex: index, logID,
    })), log.privateKey);
    const p = log.proof(index, integratedTime);
    const uuid = leafHash(canonical).toString('hex');
    return json(201, {
      [uuid]: {
        body: b64(canonical), integratedTime, logID, logIndex: index,
        verification: {
          inclusionProof: {
            checkpoint: p.checkpoint, hashes: p.hashes.map((h) => h.toString('hex')),
            logIndex: p.logIndex, rootHash: p.rootHash.toString('hex'), treeSize: p.treeSize,
          },
          signedEntryTimestamp: b64(set),
        },
      },
    });
  };
}

// --- Rekor v2 --------------------------------------------------------------------------
// The verifier of a v2 request as the log stores it, and its key.
function v2Verifier(v) {
  let key;
  if (v?.x509Certificate?.rawBytes) {
    key = new crypto.X509Certificate(Buffer.from(v.x509Certificate.rawBytes, 'base64')).publicKey;
  } else if (v?.publicKey?.rawBytes) {
    key = crypto.createPublicKey({ key: Buffer.from(v.publicKey.rawBytes, 'base64'), format: 'der', type: 'spki' });
  } else throw new HttpError(400, 'verifier has neither x509Certificate nor publicKey');
  if (typeof v.keyDetails !== 'string') throw new HttpError(400, 'verifier has no keyDetails');
  return { key, stored: v.x509Certificate ? { x509Certificate: v.x509Certificate, keyDetails: v.keyDetails } : { publicKey: v.publicKey, keyDetails: v.keyDetails } };
}

function entryV2(request) {
  if (request.hashedRekordRequestV002) {
    const r = request.hashedRekordRequestV002;
    if (typeof r.digest !== 'string' || typeof r.signature?.content !== 'string') {
      throw new HttpError(400, 'hashedRekordRequestV002: missing digest or signature');
    }
    const v = v2Verifier(r.signature.verifier);
    return {
      kind: 'hashedrekord', apiVersion: '0.0.2',
      spec: { hashedRekordV002: { data: { algorithm: 'SHA2_256', digest: r.digest }, signature: { content: r.signature.content, verifier: v.stored } } },
    };
  }
  if (request.dsseRequestV002) {
    const r = request.dsseRequestV002;
    const env = r.envelope;
    if (!env || !Array.isArray(r.verifiers)) throw new HttpError(400, 'dsseRequestV002: missing envelope or verifiers');
    const payload = Buffer.from(env.payload ?? '', 'base64');
    const message = pae(env.payloadType ?? '', payload);
    const verifiers = r.verifiers.map(v2Verifier);
    const signatures = (env.signatures ?? []).map((s) => {
      const v = verifiers.find((k) => verifySig(k.key, message, Buffer.from(s.sig, 'base64')));
      if (!v) throw new HttpError(400, 'dsse: a signature does not verify with any verifier');
      return { content: s.sig, verifier: v.stored };
    });
    if (signatures.length === 0) throw new HttpError(400, 'dsse: no signatures');
    return {
      kind: 'dsse', apiVersion: '0.0.2',
      spec: { dsseV002: { payloadHash: { algorithm: 'SHA2_256', digest: b64(sha256(payload)) }, signatures } },
    };
  }
  throw new HttpError(400, 'unsupported request: want hashedRekordRequestV002 or dsseRequestV002');
}

function rekorV2Routes(log) {
  return async (req, url, body) => {
    if (req.method !== 'POST' || url.pathname !== '/api/v2/log/entries') {
      throw new HttpError(404, `no route ${req.method} ${url.pathname}`);
    }
    const entry = entryV2(JSON.parse(body.toString('utf8')));
    const canonical = Buffer.from(canonicalize(entry), 'utf8');
    const index = log.append(canonical);
    const p = log.proof(index);
    return json(201, {
      logIndex: `${index}`,
      logId: { keyId: b64(log.logId) },
      kindVersion: { kind: entry.kind, version: '0.0.2' },
      // No integratedTime (zero, omitted as protobuf JSON omits it): a
      // Rekor v2 entry's time comes from a TSA timestamp.
      inclusionProof: {
        logIndex: `${index}`, rootHash: b64(p.rootHash), treeSize: `${p.treeSize}`,
        hashes: p.hashes.map(b64), checkpoint: { envelope: p.checkpoint },
      },
      canonicalizedBody: b64(canonical),
    });
  };
}

// --- TSA ---------------------------------------------------------------------------------
const HASH_OIDS = {
  '2.16.840.1.101.3.4.2.1': 32, '2.16.840.1.101.3.4.2.2': 48, '2.16.840.1.101.3.4.2.3': 64,
};

function tsaRoutes(tsa, mockTsaHandler) {
  return async (req, url, body) => {
    if (req.method !== 'POST' || url.pathname !== '/api/v1/timestamp') {
      throw new HttpError(404, `no route ${req.method} ${url.pathname}`);
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim();
    if (type === 'application/json') {
      const out = await mockTsaHandler.fn(body);
      return { status: out.statusCode, type: out.contentType ?? 'text/plain', body: out.response };
    }
    if (type !== 'application/timestamp-query') {
      throw new HttpError(415, `unsupported content type ${type}`);
    }
    let tsq;
    try {
      tsq = pkijs.TimeStampReq.fromBER(new Uint8Array(body).buffer);
    } catch (e) {
      throw new HttpError(400, `bad TimeStampReq: ${e.message}`);
    }
    const alg = tsq.messageImprint.hashAlgorithm.algorithmId;
    const hash = Buffer.from(tsq.messageImprint.hashedMessage.valueBlock.valueHexView);
    if (HASH_OIDS[alg] !== hash.length) throw new HttpError(400, `unsupported hash ${alg} of ${hash.length} bytes`);
    const der = await tsa.timestamp({
      artifactHash: hash,
      hashAlgorithmOID: alg,
      nonce: tsq.nonce, // an asn1js.Integer, kept as sent (it may not fit a double)
      policyOID: tsq.reqPolicy ?? '1.3.6.1.4.1.57264.2',
      certReq: tsq.certReq ?? false,
    });
    return { status: 200, type: 'application/timestamp-reply', body: der };
  };
}

// The mock's TSTInfo with the request's nonce as sent, a random serial and
// whole seconds.
function fixTsa(tsa) {
  tsa.getCurrentTime = wholeSecondDate;
  tsa.tstInfo = (req) => new pkijs.TSTInfo({
    version: 1,
    policy: req.policyOID,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: req.hashAlgorithmOID }),
      hashedMessage: new asn1js.OctetString({ valueHex: req.artifactHash }),
    }),
    serialNumber: new asn1js.Integer({ valueHex: Buffer.concat([Buffer.from([1]), crypto.randomBytes(15)]) }),
    genTime: wholeSecondDate(),
    accuracy: new pkijs.Accuracy({ seconds: 1 }),
    ...(req.nonce === undefined ? {} : {
      nonce: req.nonce instanceof asn1js.Integer ? req.nonce : new asn1js.Integer({ value: req.nonce }),
    }),
  });
}

// --- control: tokens ------------------------------------------------------------------------
function controlRoutes(ctx) {
  return async (req, url) => {
    const q = url.searchParams;
    if (req.method === 'GET' && url.pathname === '/token') {
      const claims = { aud: q.get('aud') ?? 'sigstore' };
      if (q.has('email')) {
        claims.email = q.get('email');
        claims.email_verified = q.get('email_verified') !== 'false';
        claims.sub = q.get('sub') ?? claims.email;
      } else if (q.has('sub')) claims.sub = q.get('sub');
      else throw new HttpError(400, 'give email= or sub=');
      const iss = q.get('issuer') === 'untrusted' ? `${ctx.oidcIssuer}/untrusted` : ctx.oidcIssuer;
      const token = await mint(ctx.issuer, iss, claims, {
        ttl: q.has('ttl') ? Number(q.get('ttl')) : 300,
        expired: q.get('expired') === '1',
        key: q.get('key') === 'foreign' ? ctx.issuer.foreign : undefined,
      });
      return { status: 200, type: 'text/plain', body: token };
    }
    if (req.method === 'GET' && url.pathname === '/github/token') {
      const auth = req.headers.authorization ?? '';
      const [scheme, secret] = auth.split(' ');
      if (scheme?.toLowerCase() !== 'bearer' || secret !== ctx.githubSecret) {
        throw new HttpError(401, 'bad or missing bearer token');
      }
      const aud = q.get('audience') ?? 'https://github.com/octo-org';
      const token = await mint(ctx.issuer, ctx.githubIssuer, githubClaims(aud));
      return json(200, { count: 1, value: token });
    }
    throw new HttpError(404, `no route ${req.method} ${url.pathname}`);
  };
}

function oidcRoutes(ctx) {
  return async (req, url) => {
    const jwks = { keys: [ctx.issuer.jwk] };
    for (const iss of [ctx.oidcIssuer, ctx.githubIssuer]) {
      const path = new URL(iss).pathname.replace(/\/$/, '');
      if (url.pathname === `${path}/.well-known/openid-configuration`) {
        return json(200, {
          issuer: iss, jwks_uri: `${iss}/keys`, response_types_supported: ['id_token'],
          subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['ES256'],
          claims_supported: ['sub', 'aud', 'exp', 'iat', 'iss', 'email', 'email_verified'],
        });
      }
      if (url.pathname === `${path}/keys`) return json(200, jwks);
    }
    throw new HttpError(404, `no route ${req.method} ${url.pathname}`);
  };
}

// --- trust files ---------------------------------------------------------------------------------
function writeTrust(out, ctx, urls, started) {
  const validFor = { start: started.toISOString().replace(/\.\d{3}Z$/, 'Z') };
  const ecKey = (spki) => ({ rawBytes: b64(spki), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor });
  const tlog = (url, log) => ({
    baseUrl: url, hashAlgorithm: 'SHA2_256', publicKey: ecKey(log.spki), logId: { keyId: b64(log.logId) },
  });
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [tlog(urls.rekor, ctx.rekorLog), tlog(urls.rekor2, ctx.rekor2Log)],
    certificateAuthorities: [{
      subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
      uri: urls.fulcio,
      certChain: { certificates: [{ rawBytes: b64(ctx.ca.rootCertificate) }] },
      validFor,
    }],
    ctlogs: [{
      baseUrl: urls.ctlog, hashAlgorithm: 'SHA2_256',
      publicKey: ecKey(ctx.ctlog.publicKey), logId: { keyId: b64(ctx.ctlog.logID) },
    }],
    timestampAuthorities: [{
      subject: { organization: 'sigstore.mock', commonName: 'tsa' },
      uri: urls.tsa,
      certChain: { certificates: [{ rawBytes: b64(ctx.tsa.intCertificate) }, { rawBytes: b64(ctx.tsa.rootCertificate) }] },
      validFor,
    }],
  };
  const service = (url, majorApiVersion) => ({ url, majorApiVersion, validFor, operator: 'vouch-test' });
  const signingConfig = (rekorUrl, rekorMajor) => ({
    mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json',
    caUrls: [service(urls.fulcio, 1)],
    oidcUrls: [service(urls.oidcIssuer, 1)],
    rekorTlogUrls: [service(rekorUrl, rekorMajor)],
    tsaUrls: [service(`${urls.tsa}/api/v1/timestamp`, 1)],
    rekorTlogConfig: { selector: 'ANY' },
    tsaConfig: { selector: 'ANY' },
  });
  const clientTrust = (sc) => ({
    mediaType: 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json',
    trustedRoot, signingConfig: sc,
  });
  const write = (name, value) => writeFileSync(join(out, name), `${JSON.stringify(value, null, 2)}\n`);
  const sc1 = signingConfig(urls.rekor, 1);
  const sc2 = signingConfig(urls.rekor2, 2);
  write('trusted_root.json', trustedRoot);
  write('signing_config.json', sc1);
  write('signing_config_v2.json', sc2);
  write('client_trust_config.json', clientTrust(sc1));
  write('client_trust_config_v2.json', clientTrust(sc2));
}

// --- main ------------------------------------------------------------------------------------------
async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const out = resolve(opts.out);
  mkdirSync(out, { recursive: true });
  // A minute early, so that nothing issued at start falls before it.
  const started = new Date((nowSeconds() - 60) * 1000);

  const ctx = { issuer: await makeIssuer(), githubSecret: crypto.randomBytes(24).toString('hex') };
  const ecKeyPair = () => crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  ctx.ctlog = await mock.initializeCTLog(ecKeyPair());
  ctx.ca = await mock.initializeCA(ecKeyPair(), ctx.ctlog);
  ctx.tsa = await mock.initializeTSA(ecKeyPair());
  fixTsa(ctx.tsa);
  const mockTsaHandler = mock.tsaHandler(ctx.tsa);

  // Every server is listening (its port known) before the handlers that
  // name their own URL exist: they are looked up per request.
  const f = opts.faults;
  const routes = {};
  const lazy = (name) => (...a) => routes[name](...a);
  const oidc = await serve('oidc', lazy('oidc'), f.oidc);
  const control = await serve('control', lazy('control'), undefined);
  const fulcio = await serve('fulcio', lazy('fulcio'), f.fulcio);
  const rekorSrv = await serve('rekor', lazy('rekor'), f.rekor);
  const rekor2Srv = await serve('rekor2', lazy('rekor2'), f.rekor2);
  const tsaSrv = await serve('tsa', lazy('tsa'), f.tsa);

  ctx.oidcIssuer = oidc.url;
  ctx.githubIssuer = `${oidc.url}/github`;
  const host = (u) => new URL(u).host;
  // Rekor v1's checkpoint origin is "<host> - <tree id>"; Rekor v2's is its host.
  ctx.rekorLog = new MerkleLog(host(rekorSrv.url), `${host(rekorSrv.url)} - ${crypto.randomInt(2 ** 47)}`,
    ecKeyPair(), true);
  ctx.rekor2Log = new MerkleLog(host(rekor2Srv.url), host(rekor2Srv.url), ecKeyPair(), false);
  Object.assign(routes, {
    oidc: oidcRoutes(ctx), control: controlRoutes(ctx), fulcio: fulcioRoutes(ctx),
    rekor: rekorV1Routes(ctx.rekorLog), rekor2: rekorV2Routes(ctx.rekor2Log),
    tsa: tsaRoutes(ctx.tsa, mockTsaHandler),
  });

  const urls = {
    oidcIssuer: ctx.oidcIssuer, githubIssuer: ctx.githubIssuer, control: control.url,
    fulcio: fulcio.url, rekor: rekorSrv.url, rekor2: rekor2Srv.url, tsa: tsaSrv.url,
    ctlog: `${fulcio.url}/ct`,
  };
  writeTrust(out, ctx, urls, started);
  const ready = {
    ...urls,
    ports: {
      oidc: oidc.port, control: control.port, fulcio: fulcio.port,
      rekor: rekorSrv.port, rekor2: rekor2Srv.port, tsa: tsaSrv.port,
    },
    faults: f,
    github: {
      ACTIONS_ID_TOKEN_REQUEST_URL: `${control.url}/github/token?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: ctx.githubSecret,
      identity: `https://github.com/${githubClaims('sigstore').job_workflow_ref}`,
    },
    files: {
      trustedRoot: join(out, 'trusted_root.json'),
      signingConfig: join(out, 'signing_config.json'),
      signingConfigV2: join(out, 'signing_config_v2.json'),
      clientTrustConfig: join(out, 'client_trust_config.json'),
      clientTrustConfigV2: join(out, 'client_trust_config_v2.json'),
    },
  };
  writeFileSync(join(out, 'ready.json'), `${JSON.stringify(ready, null, 2)}\n`);
  process.stdout.write(`ready ${join(out, 'ready.json')}\n`);

  const servers = [oidc, control, fulcio, rekorSrv, rekor2Srv, tsaSrv];
  const stop = () => {
    for (const s of servers) {
      for (const res of s.hung) res.destroy();
      s.server.closeAllConnections?.();
      s.server.close();
    }
    process.exit(0);
  };
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

// Fulcio's GitHub workflow extensions (OIDs 1.3.6.1.4.1.57264.1.2-.22), as
// @sigstore/mock's Fulcio derives them from the token's claims.
function githubExtensionList(claims) {
  const gh = 'https://github.com';
  const oid = (n) => `1.3.6.1.4.1.57264.1.${n}`;
  const ext = [
    { oid: oid(2), value: claims.event_name, legacy: true },
    { oid: oid(3), value: claims.sha, legacy: true },
    { oid: oid(4), value: claims.workflow, legacy: true },
    { oid: oid(5), value: claims.repository, legacy: true },
    { oid: oid(6), value: claims.ref, legacy: true },
    { oid: oid(9), value: `${gh}/${claims.job_workflow_ref}` },
    { oid: oid(10), value: claims.job_workflow_sha },
    { oid: oid(11), value: claims.runner_environment },
    { oid: oid(12), value: `${gh}/${claims.repository}` },
    { oid: oid(13), value: claims.sha },
    { oid: oid(14), value: claims.ref },
    { oid: oid(15), value: claims.repository_id },
    { oid: oid(16), value: `${gh}/${claims.repository_owner}` },
    { oid: oid(17), value: claims.repository_owner_id },
    { oid: oid(18), value: `${gh}/${claims.workflow_ref}` },
    { oid: oid(19), value: claims.workflow_sha },
    { oid: oid(20), value: claims.event_name },
    { oid: oid(21), value: `${gh}/${claims.repository}/actions/runs/${claims.run_id}/attempts/${claims.run_attempt}` },
    { oid: oid(22), value: claims.repository_visibility },
  ];
  return ext.filter((e) => typeof e.value === 'string' && !e.value.includes('undefined'));
}

main().catch((e) => {
  process.stderr.write(`stack.mjs: ${e.stack ?? e}\n`);
  process.exit(1);
});
