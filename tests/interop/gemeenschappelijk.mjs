// Shared by verzegel.mjs and open.mjs: read the JSON request from stdin, the x5t#S256 of a certificate.
import { createHash, X509Certificate } from 'node:crypto';

export const METADATA_VELDEN = [
  'referentienummer',
  'conversatieReferentienummer',
  'crossReferentienummer',
  'module',
  'berichttype',
  'versie',
  'afzender',
  'ontvanger',
];

// base64url (no padding) of the SHA-256 of the certificate's DER: the JWE kid and the JWS x5t#S256.
export function x5tS256(pem) {
  return createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url');
}

// RSA certificates: PS256 + RSA-OAEP-256; P-256 certificates: ES256 + ECDH-ES+A256KW (DESIGN §5).
export function algs(pem) {
  const type = new X509Certificate(pem).publicKey.asymmetricKeyType;
  if (type === 'rsa') return { jws: 'PS256', jwe: 'RSA-OAEP-256' };
  if (type === 'ec') return { jws: 'ES256', jwe: 'ECDH-ES+A256KW' };
  throw new Error(`unsupported key type ${type}`);
}

export async function leesVerzoek() {
  const delen = [];
  for await (const deel of process.stdin) delen.push(deel);
  return JSON.parse(Buffer.concat(delen).toString('utf8'));
}
