// Opens envelopes with the page's own code (src/openen.js) in Node's WebCrypto, for
// tests/unit/test_sleutels_openen.py: reads [{envelop, sleutel (PKCS#8, base64), kid,
// certificaten: [PEM]}] as JSON on stdin, writes [{payload} | {reden, melding}] as JSON.
import { open, Onbetrouwbaar } from "../src/openen.js";

let invoer = "";
for await (const deel of process.stdin) invoer += deel;
const uit = [];
for (const geval of JSON.parse(invoer)) {
  const pkcs8 = Uint8Array.from(Buffer.from(geval.sleutel, "base64"));
  const sleutel = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "ECDH", namedCurve: "P-256" }, false, [
    "deriveBits",
  ]);
  try {
    const r = await open(geval.envelop, new Map([[geval.kid, sleutel]]), async () => geval.certificaten);
    uit.push({ payload: r.payload });
  } catch (fout) {
    uit.push({ reden: fout instanceof Onbetrouwbaar ? fout.reden : "ANDERS", melding: String(fout.message) });
  }
}
process.stdout.write(JSON.stringify(uit));
