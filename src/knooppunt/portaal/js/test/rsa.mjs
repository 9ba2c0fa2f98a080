// RSA keys imported with a PKIoverheid certificate (decision 0036), with the page's own code in
// Node's WebCrypto, for tests/unit/test_rsa_js.py. Reads as JSON on stdin:
//   {zegels: [{payload, envelop, afzender, teken: {kid, pkcs8 (base64)}, ontvanger: {pem, kid, alg}}],
//    openen: [{envelop, sleutel (PKCS#8, base64), kid, certificaten: [PEM]}],
//    soorten: [PKCS#8 or PKCS#1 (base64)]}
// Every key goes the way a key from the blob goes: kluis.js `importeer(bytes, gebruik)`, which takes
// the algorithm from the PKCS#8 bytes (RSA-PSS to sign, RSA-OAEP to decrypt; P-256 as before), after
// a round trip through an extractable key and `bytesVan`, as the import does. Writes
//   {jwes: [compact JWE], geopend: [{payload} | {reden, melding}], soorten: [{soort, pkcs8 (base64 of
//    the PKCS#1 key rewrapped)}]}.
import { bytesVan, importeer, pkcs1NaarPkcs8, sleutelsoort } from "../src/kluis.js";
import { Onbetrouwbaar, open } from "../src/openen.js";
import { zegel } from "../src/zegelen.js";

const bytes = (b64) => Uint8Array.from(Buffer.from(b64, "base64"));

/** As the import does: extractable first (to find the certificate), the bytes exported again. */
async function alsUitDeBlob(pkcs8, gebruik) {
  const rsa = sleutelsoort(pkcs8) === "RSA";
  const alg = rsa ? { name: "RSA-PSS", hash: "SHA-256" } : { name: "ECDSA", namedCurve: "P-256" };
  const los = await crypto.subtle.importKey("pkcs8", pkcs8, alg, true, ["sign"]);
  const opnieuw = await bytesVan(los, gebruik);
  if (sleutelsoort(opnieuw) !== (rsa ? "RSA" : "EC")) throw new Error("exported PKCS#8 names another algorithm");
  return importeer(opnieuw, gebruik);
}

let invoer = "";
for await (const deel of process.stdin) invoer += deel;
const { zegels = [], openen = [], soorten = [] } = JSON.parse(invoer);

const jwes = [];
for (const z of zegels) {
  const sleutel = await alsUitDeBlob(bytes(z.teken.pkcs8), "ondertekening");
  jwes.push(await zegel(z.payload, z.envelop, { afzender: z.afzender, ontvanger: z.ontvanger, teken: { kid: z.teken.kid, sleutel } }));
}
const geopend = [];
for (const geval of openen) {
  try {
    const sleutel = await alsUitDeBlob(bytes(geval.sleutel), "versleuteling");
    const r = await open(geval.envelop, new Map([[geval.kid, sleutel]]), async () => geval.certificaten);
    geopend.push({ payload: r.payload, alg: sleutel.algorithm.name, extractable: sleutel.extractable });
  } catch (fout) {
    geopend.push({ reden: fout instanceof Onbetrouwbaar ? fout.reden : "ANDERS", melding: String(fout.message) });
  }
}
const uit = [];
for (const b of soorten) {
  const der = bytes(b);
  const soort = sleutelsoort(der);
  uit.push(soort === null ? { soort, pkcs8: Buffer.from(pkcs1NaarPkcs8(der)).toString("base64") } : { soort });
}
process.stdout.write(JSON.stringify({ jwes, geopend, soorten: uit }));
