// Sealing a message in the browser (DESIGN §5 "Content: sign, then encrypt"): a JWS by the
// organisation (the page's non-extractable signing key: ES256 for a P-256 key, PS256 for an RSA key
// imported with a PKIoverheid certificate, decision 0036) over the payload, whose protected
// header repeats the envelope's metadata and `iat` and names the signing certificate in x5t#S256;
// then a JWE of that JWS for the recipient's current encryption certificate: ECDH-ES+A256KW for
// P-256, RSA-OAEP-256 for RSA, enc A256GCM, kid = x5t#S256 of that certificate. The same headers
// as the Python SDK's client/jose.py `verzegel`, so the SDK opens what this page seals.

import { CompactEncrypt, CompactSign, importX509 } from "jose";
import { METADATA_VELDEN } from "./openen.js";
import { geheugen } from "./werkplek.js";

const tekst = new TextEncoder();
const ontvangersleutels = new Map(); // kid → Promise<CryptoKey>: each certificate imported once

// The organisation's newest signing key and its kid (the x5t#S256 of its certificate), or null.
export function tekensleutel() {
  let laatste = null;
  for (const [kid, sleutel] of geheugen.ondertekening) laatste = { kid, sleutel };
  return laatste;
}

// The public key of a recipient's encryption certificate ({pem, kid, alg} from the server).
export function ontvangersleutel(cert) {
  if (cert.alg !== "ECDH-ES+A256KW" && cert.alg !== "RSA-OAEP-256") {
    throw new Error(`onbekend versleutelalgoritme ${cert.alg}`);
  }
  if (!ontvangersleutels.has(cert.kid)) ontvangersleutels.set(cert.kid, importX509(cert.pem, cert.alg));
  return ontvangersleutels.get(cert.kid);
}

/** The JWS alg of a signing key: PS256 for RSA-PSS (an imported RSA key), else ES256. */
export function tekenalg(sleutel) {
  return sleutel.algorithm.name === "RSA-PSS" ? "PS256" : "ES256";
}

/**
 * Seal one payload. `payload`: the JSON text (or bytes) as signed; `envelop`: the metadata the
 * signature repeats (referentienummer … ontvanger); `afzender`: the sender's OIN; `ontvanger`: the
 * recipient's certificate {pem, kid, alg}; `teken`: {kid, sleutel} (default: the newest).
 * Returns the compact JWE.
 */
export async function zegel(payload, envelop, { afzender, ontvanger, teken = tekensleutel(), iat }) {
  if (!teken) throw new Error("de sleutels zijn niet ontgrendeld: er is geen ondertekeningssleutel");
  const kop = { alg: tekenalg(teken.sleutel), typ: "JOSE", cty: "json" };
  for (const veld of METADATA_VELDEN) kop[veld] = veld === "afzender" ? afzender : (envelop[veld] ?? null);
  kop.iat = iat ?? Math.floor(Date.now() / 1000);
  kop["x5t#S256"] = teken.kid;
  const inhoud = typeof payload === "string" ? tekst.encode(payload) : payload;
  const jws = await new CompactSign(inhoud).setProtectedHeader(kop).sign(teken.sleutel);
  const sleutel = await ontvangersleutel(ontvanger);
  return new CompactEncrypt(tekst.encode(jws))
    .setProtectedHeader({ alg: ontvanger.alg, enc: "A256GCM", kid: ontvanger.kid, cty: "JWT" })
    .encrypt(sleutel);
}
