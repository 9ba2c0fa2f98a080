// Seals and numbers with the page's own code (src/zegelen.js, src/uploaden.js) in Node's WebCrypto,
// for tests/unit/test_uploaden_js.py: reads {zegels: [{payload, envelop, afzender, teken: {kid,
// pkcs8 (base64)}, ontvanger: {pem, kid, alg}}], nummers: [{sleutel (base64), gegevens}]} as JSON on
// stdin, writes {jwes: [compact JWE], nummers: [UUIDv8]} as JSON.
import { zegel } from "../src/zegelen.js";
import { canoniek, uuid8 } from "../src/uploaden.js";

let invoer = "";
for await (const deel of process.stdin) invoer += deel;
const { zegels, nummers } = JSON.parse(invoer);
const jwes = [];
for (const z of zegels) {
  const sleutel = await crypto.subtle.importKey(
    "pkcs8",
    Uint8Array.from(Buffer.from(z.teken.pkcs8, "base64")),
    { name: "ECDSA", namedCurve: "P-256" },
    false,
    ["sign"],
  );
  jwes.push(await zegel(z.payload, z.envelop, { afzender: z.afzender, ontvanger: z.ontvanger, teken: { kid: z.teken.kid, sleutel } }));
}
const uit = [];
for (const n of nummers) {
  const sleutel = await crypto.subtle.importKey("raw", Uint8Array.from(Buffer.from(n.sleutel, "base64")), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  uit.push(await uuid8(sleutel, canoniek(n.gegevens)));
}
process.stdout.write(JSON.stringify({ jwes, nummers: uit }));
