// Opening a received message in the browser (DESIGN §5 "Content" and "Portal"): decrypt the JWE
// with the page's key named by its kid (ECDH-ES+A256KW for a P-256 key, RSA-OAEP-256 for an RSA key
// imported with a PKIoverheid certificate, decision 0036), verify the inner JWS against the sender's adresboek certificate named
// in x5t#S256, and require the signed metadata to equal the envelope. The same checks as the Python
// SDK's client/jose.py `open_`; every refusal says what is wrong, in Dutch.

import { compactDecrypt, compactVerify, decodeProtectedHeader, importX509 } from "jose";
import { b64url, ontb64url } from "./kluis.js";

export const METADATA_VELDEN = [
  "referentienummer",
  "conversatieReferentienummer",
  "crossReferentienummer",
  "module",
  "berichttype",
  "versie",
  "afzender",
  "ontvanger",
];
const VERBODEN = ["zip", "jku", "jwk", "x5u", "x5c", "crit"];
const JWE_ALGS = ["ECDH-ES+A256KW", "RSA-OAEP-256"];

/** The JWE alg a decryption key opens: RSA-OAEP-256 for an RSA-OAEP key, else ECDH-ES+A256KW. */
export function versleutelalg(sleutel) {
  return sleutel.algorithm.name === "RSA-OAEP" ? "RSA-OAEP-256" : "ECDH-ES+A256KW";
}

export class Onbetrouwbaar extends Error {
  constructor(reden, melding) {
    super(melding);
    this.reden = reden;
  }
}

function kop(compact, wat) {
  let k;
  try {
    k = decodeProtectedHeader(compact);
  } catch {
    throw new Onbetrouwbaar(
      wat === "JWE" ? "ONTSLEUTELING_MISLUKT" : "HANDTEKENING_ONGELDIG",
      `de ${wat} is geen geldige compacte serialisatie`,
    );
  }
  const verboden = VERBODEN.filter((lid) => Object.prototype.hasOwnProperty.call(k, lid));
  if (verboden.length) {
    throw new Onbetrouwbaar(
      wat === "JWE" ? "ONTSLEUTELING_MISLUKT" : "HANDTEKENING_ONGELDIG",
      `de protected header van de ${wat} bevat niet-toegestane leden: ${verboden.join(", ")}`,
    );
  }
  return k;
}

export function pemNaarDer(pem) {
  const kern = String(pem)
    .replace(/-----BEGIN CERTIFICATE-----/, "")
    .replace(/-----END CERTIFICATE-----/, "")
    .replace(/\s+/g, "");
  return ontb64url(kern.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""));
}

/** The x5t#S256 of a certificate: base64url SHA-256 of its DER. */
export async function x5t(pem) {
  return b64url(await crypto.subtle.digest("SHA-256", pemNaarDer(pem)));
}

/**
 * Open one envelope. `sleutels`: the page's decryption keys (ECDH or RSA-OAEP) by kid. `certificaten(oin, moment)`: the
 * sender's signing certificates (PEM) valid at that moment, from the adresboek.
 * Returns {payload (string), kop}; throws Onbetrouwbaar.
 */
export async function open(envelop, sleutels, certificaten) {
  const jwe = envelop.inhoud;
  if (typeof jwe !== "string" || jwe.split(".").length !== 5) {
    throw new Onbetrouwbaar("ONTSLEUTELING_MISLUKT", "het bericht heeft geen (leesbare) versleutelde inhoud");
  }
  const jweKop = kop(jwe, "JWE");
  if (!JWE_ALGS.includes(jweKop.alg) || jweKop.enc !== "A256GCM") {
    throw new Onbetrouwbaar(
      "ONTSLEUTELING_MISLUKT",
      `de JWE gebruikt ${jweKop.alg}/${jweKop.enc}; uw sleutel vraagt ECDH-ES+A256KW of RSA-OAEP-256 met A256GCM`,
    );
  }
  const sleutel = sleutels.get(jweKop.kid);
  if (!sleutel) {
    throw new Onbetrouwbaar(
      "SLEUTEL_ONBRUIKBAAR",
      `het bericht is versleuteld voor een certificaat (kid ${jweKop.kid}) waarvan deze pagina de sleutel niet heeft`,
    );
  }
  // The alg must be the one of the key the kid names, never chosen by the sender.
  const verwacht = versleutelalg(sleutel);
  if (jweKop.alg !== verwacht) {
    throw new Onbetrouwbaar(
      "ONTSLEUTELING_MISLUKT",
      `de JWE gebruikt ${jweKop.alg}; de sleutel van certificaat ${jweKop.kid} vraagt ${verwacht} met A256GCM`,
    );
  }
  let getekend;
  try {
    const r = await compactDecrypt(jwe, sleutel, {
      keyManagementAlgorithms: [verwacht],
      contentEncryptionAlgorithms: ["A256GCM"],
    });
    getekend = new TextDecoder("utf-8", { fatal: true }).decode(r.plaintext);
  } catch {
    throw new Onbetrouwbaar(
      "ONTSLEUTELING_MISLUKT",
      "het bericht kan niet worden ontsleuteld: de versleutelde inhoud is beschadigd of gewijzigd",
    );
  }
  if (getekend.split(".").length !== 3) {
    throw new Onbetrouwbaar("HANDTEKENING_ONGELDIG", "de inhoud is niet ondertekend (geen JWS)");
  }
  const jwsKop = kop(getekend, "JWS");
  if (jwsKop.alg !== "ES256" && jwsKop.alg !== "PS256") {
    throw new Onbetrouwbaar("HANDTEKENING_ONGELDIG", `JWS-alg ${jwsKop.alg} is niet toegestaan (alleen PS256 of ES256)`);
  }
  if (!Number.isInteger(jwsKop.iat)) {
    throw new Onbetrouwbaar("HANDTEKENING_ONGELDIG", "de handtekening mist 'iat' (seconden sinds 1970)");
  }
  if (typeof jwsKop["x5t#S256"] !== "string") {
    throw new Onbetrouwbaar("HANDTEKENING_ONGELDIG", "de handtekening noemt geen certificaat (x5t#S256)");
  }
  const kandidaten = await certificaten(envelop.afzender, envelop.ontvangenOp);
  let pem = null;
  for (const c of kandidaten) {
    if ((await x5t(c)) === jwsKop["x5t#S256"]) pem = c;
  }
  if (pem === null) {
    throw new Onbetrouwbaar(
      "HANDTEKENING_ONGELDIG",
      "x5t#S256 in de handtekening noemt geen certificaat van de afzender in het adresboek",
    );
  }
  let payload;
  try {
    const publiek = await importX509(pem, jwsKop.alg);
    const r = await compactVerify(getekend, publiek, { algorithms: [jwsKop.alg] });
    payload = new TextDecoder("utf-8", { fatal: true }).decode(r.payload);
  } catch {
    throw new Onbetrouwbaar("HANDTEKENING_ONGELDIG", "de handtekening van de afzender klopt niet");
  }
  for (const veld of METADATA_VELDEN) {
    const getekendVeld = jwsKop[veld] ?? null;
    const envelopVeld = envelop[veld] ?? null;
    if (getekendVeld !== envelopVeld) {
      throw new Onbetrouwbaar(
        "METADATA_ONJUIST",
        `${veld} in de handtekening (${JSON.stringify(getekendVeld)}) wijkt af van de envelop (${JSON.stringify(envelopVeld)})`,
      );
    }
  }
  return { payload, kop: jwsKop };
}
