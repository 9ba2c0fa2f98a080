// The key blob (DESIGN §5 "Portal"): private keys wrapped in the browser under a key derived with
// Argon2id from a generated passphrase. Nothing here ever leaves the page except the blob, in which
// every private key is AES-256-GCM ciphertext. The passphrase, the derived key and the unwrapped
// keys stay in this page's memory; the unwrapped keys are non-extractable CryptoKeys.

import { argon2id } from "hash-wasm";
import { CompactEncrypt, calculateJwkThumbprint, compactDecrypt } from "jose";

export const KDF = Object.freeze({
  algoritme: "argon2id",
  geheugenKiB: 65536, // m = 64 MiB
  iteraties: 3, // t
  parallel: 1, // p
});

// Crockford's base32 without I, L, O, U: what is written down can be read back unambiguously.
const ALFABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
export const WACHTWOORD_TEKENS = 16; // 16 × 5 bits = 80 bits (DESIGN §5: at least 70)

/** A new passphrase: 80 random bits, shown as four groups of four characters. */
export function nieuwWachtwoord() {
  const bytes = crypto.getRandomValues(new Uint8Array(WACHTWOORD_TEKENS));
  let tekst = "";
  for (const b of bytes) tekst += ALFABET[b & 31];
  bytes.fill(0);
  return tekst.match(/.{4}/g).join("-");
}

/** What the user typed, as the passphrase it means: case, spaces and dashes do not matter, and
 * O/I/L read as 0/1/1. Returns null when it cannot be a passphrase of this portal. */
export function normaliseer(invoer) {
  const tekst = String(invoer)
    .toUpperCase()
    .replace(/[\s-]/g, "")
    .replace(/O/g, "0")
    .replace(/[IL]/g, "1");
  if (tekst.length !== WACHTWOORD_TEKENS) return null;
  for (const teken of tekst) if (!ALFABET.includes(teken)) return null;
  return tekst.match(/.{4}/g).join("-");
}

export function b64url(bytes) {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let bin = "";
  for (const x of b) bin += String.fromCharCode(x);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function ontb64url(tekst) {
  if (typeof tekst !== "string" || !/^[A-Za-z0-9_-]*$/.test(tekst)) throw new Error("geen base64url");
  const bin = atob(tekst.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((tekst.length + 3) % 4));
  const uit = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) uit[i] = bin.charCodeAt(i);
  return uit;
}

/** The AES-256-GCM key-wrapping key from the passphrase and the blob's salt (Argon2id). */
export async function leidAf(wachtwoord, zout, kdf = KDF) {
  if (kdf.algoritme !== "argon2id" || kdf.geheugenKiB < 65536 || kdf.iteraties < 3 || kdf.parallel !== 1) {
    throw new Error("de sleutelafleiding van de opgeslagen sleutels is te zwak of onbekend");
  }
  const ruw = await argon2id({
    password: new TextEncoder().encode(wachtwoord),
    salt: zout,
    parallelism: kdf.parallel,
    iterations: kdf.iteraties,
    memorySize: kdf.geheugenKiB,
    hashLength: 32,
    outputType: "binary",
  });
  try {
    return await crypto.subtle.importKey("raw", ruw, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
  } finally {
    ruw.fill(0);
  }
}

function aad(gebruik, jkt) {
  return new TextEncoder().encode(`knooppunt-portaalsleutel:${gebruik}:${jkt}`);
}

/** Wrap one private key (PKCS#8) under the derived key; the associated data binds the entry to
 * its use and its public key (JWK thumbprint), so entries cannot be swapped in the blob. */
export async function verpak(wikkel, prive, gebruik, jkt) {
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey(GEHEIMEN.has(gebruik) ? "raw" : "pkcs8", prive));
  try {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const versleuteld = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: aad(gebruik, jkt) },
      wikkel,
      pkcs8,
    );
    return { gebruik, jkt, iv: b64url(iv), versleuteld: b64url(versleuteld) };
  } finally {
    pkcs8.fill(0);
  }
}

export class VerkeerdWachtwoord extends Error {}

const ALGORITMEN = {
  ondertekening: [{ name: "ECDSA", namedCurve: "P-256" }, ["sign"]],
  versleuteling: [{ name: "ECDH", namedCurve: "P-256" }, ["deriveBits"]],
  // The organisation's secrets (DESIGN §7): the HMAC key that numbers answers (a UUIDv8 from the
  // question's number and the row) and the AES-GCM key for client names and labels.
  nummergeheim: [{ name: "HMAC", hash: "SHA-256", length: 256 }, ["sign"]],
  labelsleutel: [{ name: "AES-GCM", length: 256 }, ["encrypt", "decrypt"]],
  // A user's personal key (blob version 2, decision 0027): the organisation's keys are wrapped to it.
  persoonlijk: [{ name: "ECDH", namedCurve: "P-256" }, ["deriveBits"]],
};

// An organisation key imported with an RSA PKIoverheid certificate (decision 0036): RSA-PSS with
// SHA-256 signs (JWS PS256), RSA-OAEP with SHA-256 decrypts (JWE RSA-OAEP-256). Which algorithm a
// wrapped key is, is recorded in its own PKCS#8 bytes (the privateKeyAlgorithm; `sleutelsoort`),
// inside the wrapping's AEAD: a blob made before RSA keys existed reads as it always did.
const ALGORITMEN_RSA = {
  ondertekening: [{ name: "RSA-PSS", hash: "SHA-256" }, ["sign"]],
  versleuteling: [{ name: "RSA-OAEP", hash: "SHA-256" }, ["decrypt"]],
};

export const RSA_MIN_BITS = 2048;
export const RSA_MAX_BITS = 4096;

const OID_RSA = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]; // 1.2.840.113549.1.1.1 rsaEncryption
const OID_EC = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]; // 1.2.840.10045.2.1 id-ecPublicKey

/** One DER element at `plek` of `der`: its tag, where its content starts and ends. */
function derElement(der, plek) {
  if (plek + 2 > der.length) throw new Error("geen DER");
  const tag = der[plek];
  let lengte = der[plek + 1];
  let begin = plek + 2;
  if (lengte & 0x80) {
    const n = lengte & 0x7f;
    if (n < 1 || n > 3 || begin + n > der.length) throw new Error("geen DER");
    lengte = 0;
    for (let i = 0; i < n; i++) lengte = lengte * 256 + der[begin + i];
    begin += n;
  }
  if (begin + lengte > der.length) throw new Error("geen DER");
  return { tag, begin, eind: begin + lengte };
}

/** The kind of key in PKCS#8 bytes, from its privateKeyAlgorithm: "RSA", "EC", or null (another
 * algorithm, or not PKCS#8). PrivateKeyInfo ::= SEQUENCE { version INTEGER, SEQUENCE { OID, … }, … } */
export function sleutelsoort(pkcs8) {
  try {
    const buiten = derElement(pkcs8, 0);
    if (buiten.tag !== 0x30) return null;
    const versie = derElement(pkcs8, buiten.begin);
    if (versie.tag !== 0x02) return null;
    const alg = derElement(pkcs8, versie.eind);
    if (alg.tag !== 0x30) return null;
    const oid = derElement(pkcs8, alg.begin);
    if (oid.tag !== 0x06) return null;
    const waarde = Array.from(pkcs8.subarray(oid.begin, oid.eind));
    const is = (verwacht) => waarde.length === verwacht.length && waarde.every((x, i) => x === verwacht[i]);
    if (is(OID_RSA)) return "RSA";
    if (is(OID_EC)) return "EC";
    return null;
  } catch {
    return null;
  }
}

function derLengte(n) {
  if (n < 0x80) return [n];
  const bytes = [];
  for (let x = n; x > 0; x = Math.floor(x / 256)) bytes.unshift(x & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

/** A PKCS#1 RSAPrivateKey ("RSA PRIVATE KEY") as PKCS#8 (PrivateKeyInfo with rsaEncryption), the
 * form WebCrypto imports. The caller wipes both. */
export function pkcs1NaarPkcs8(pkcs1) {
  const algoritme = [0x30, 0x0d, 0x06, 0x09, ...OID_RSA, 0x05, 0x00];
  const octetten = [0x04, ...derLengte(pkcs1.length)];
  const inhoudLengte = 3 + algoritme.length + octetten.length + pkcs1.length;
  const kop = [0x30, ...derLengte(inhoudLengte), 0x02, 0x01, 0x00, ...algoritme, ...octetten];
  const uit = new Uint8Array(kop.length + pkcs1.length);
  uit.set(kop, 0);
  uit.set(pkcs1, kop.length);
  return uit;
}

/** The WebCrypto algorithm and usages for an organisation key's bytes: RSA-PSS/RSA-OAEP for an RSA
 * key (ondertekening/versleuteling), else the P-256 ones of ALGORITMEN. */
export function algoritmeVoor(bytes, gebruik) {
  if (gebruik in ALGORITMEN_RSA && sleutelsoort(bytes) === "RSA") return ALGORITMEN_RSA[gebruik];
  return ALGORITMEN[gebruik];
}

/** Uses whose entry is a raw secret key (not a PKCS#8 private key). */
export const GEHEIMEN = new Set(["nummergeheim", "labelsleutel"]);

/** A new organisation secret for `gebruik` (extractable only until it is wrapped) and its id:
 * 32 random bytes, base64url, in the blob's `jkt` field (a secret has no public key to hash). */
export async function nieuwGeheim(gebruik) {
  const [alg, gebruiken] = ALGORITMEN[gebruik];
  const sleutel = await crypto.subtle.generateKey(alg, true, gebruiken);
  return { sleutel, id: b64url(crypto.getRandomValues(new Uint8Array(32))) };
}

/** Import PKCS#8 bytes (a raw secret for the GEHEIMEN) as a non-extractable key for `gebruik`,
 * then wipe the bytes. */
export async function importeer(pkcs8, gebruik) {
  const [alg, gebruiken] = gebruik === "persoonlijk" ? ALGORITMEN.persoonlijk : algoritmeVoor(pkcs8, gebruik);
  try {
    return await crypto.subtle.importKey(GEHEIMEN.has(gebruik) ? "raw" : "pkcs8", pkcs8, alg, false, gebruiken);
  } finally {
    pkcs8.fill(0);
  }
}

/** Unwrap one entry into a non-extractable key; a wrong passphrase fails the GCM tag. */
export async function pakUit(wikkel, item) {
  return importeer(await pakUitRuw(wikkel, item), item.gebruik);
}

/** Unwrap one entry into its bytes (PKCS#8, or raw for a secret): for the caller to wrap again
 * (to a personal key) and wipe, or to import. A wrong passphrase fails the GCM tag. */
export async function pakUitRuw(wikkel, item) {
  let pkcs8;
  try {
    pkcs8 = new Uint8Array(
      await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: ontb64url(item.iv), additionalData: aad(item.gebruik, item.jkt) },
        wikkel,
        ontb64url(item.versleuteld),
      ),
    );
  } catch {
    throw new VerkeerdWachtwoord("wachtwoord");
  }
  return pkcs8;
}

// --- the organisation's keys, wrapped to a user's personal key (blob version 2, decision 0027) -----
//
// Each organisation key is a compact JWE (jose: ECDH-ES+A256KW with an ephemeral P-256 key, content
// A256GCM) to the user's personal public key. Its protected header is the AEAD's associated data and
// names what the entry is: typ, kid = the recipient's personal JWK thumbprint, gebruik, jkt = the
// key's thumbprint (a secret: its id) and the OIN. The unwrapping side checks every one of them, so
// an entry cannot be moved to another user, use, key or organisation.

export const ORGANISATIESLEUTEL = "knooppunt-organisatiesleutel";

/** The public members of a JWK (what its thumbprint is computed over): EC, or RSA for an imported
 * RSA key (decision 0036). */
export const publiekeJwk = (jwk) => (jwk.kty === "RSA" ? { kty: jwk.kty, n: jwk.n, e: jwk.e } : { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y });

/** A personal ECDH key pair (extractable only until it is wrapped) and its thumbprint. */
export async function nieuwePersoonlijkeSleutel() {
  const paar = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]);
  const jwk = publiekeJwk(await crypto.subtle.exportKey("jwk", paar.publicKey));
  return { paar, jwk, jkt: await calculateJwkThumbprint(jwk) };
}

/** The bytes of an organisation key (PKCS#8, or raw for a secret), wiped after wrapping. */
export async function bytesVan(sleutel, gebruik) {
  return new Uint8Array(await crypto.subtle.exportKey(GEHEIMEN.has(gebruik) ? "raw" : "pkcs8", sleutel));
}

/** Wrap the bytes of one organisation key to a personal public key (JWK). The thumbprint is computed
 * here from the JWK, never taken from the server. */
export async function wikkelVoor(ontvangerJwk, { gebruik, jkt, oin }, bytes) {
  const jwk = publiekeJwk(ontvangerJwk);
  const kid = await calculateJwkThumbprint(jwk);
  const publiek = await crypto.subtle.importKey("jwk", { ...jwk, ext: true }, { name: "ECDH", namedCurve: "P-256" }, true, []);
  const jwe = await new CompactEncrypt(bytes)
    .setProtectedHeader({ alg: "ECDH-ES+A256KW", enc: "A256GCM", typ: ORGANISATIESLEUTEL, kid, gebruik, jkt, oin })
    .encrypt(publiek);
  return { gebruik, jkt, jwe };
}

export class OnjuisteSleutel extends Error {}

/** The bytes of one organisation key for this user: the JWE opened with the personal private key
 * (a non-extractable CryptoKey) and its header checked against the entry, the user and the OIN. */
export async function pakOrganisatiesleutelUit(persoonlijk, eigenJkt, oin, item) {
  let resultaat;
  try {
    resultaat = await compactDecrypt(item.jwe, persoonlijk, {
      keyManagementAlgorithms: ["ECDH-ES+A256KW"],
      contentEncryptionAlgorithms: ["A256GCM"],
    });
  } catch (fout) {
    throw new OnjuisteSleutel(`een sleutel van uw organisatie kon niet worden geopend (${fout.code || fout.message})`);
  }
  const h = resultaat.protectedHeader;
  if (h.typ !== ORGANISATIESLEUTEL || h.kid !== eigenJkt || h.gebruik !== item.gebruik || h.jkt !== item.jkt || h.oin !== oin) {
    resultaat.plaintext.fill(0);
    throw new OnjuisteSleutel("een sleutel van uw organisatie is niet voor u, dit gebruik of deze organisatie versleuteld");
  }
  return resultaat.plaintext;
}
