// The label the werkplek makes from a received message's client (src/clienten.js labelUitPayload)
// without a page, for tests/unit/test_clientlabel_js.py: reads a JSON list of payloads on stdin and
// writes, per payload, the label ({klantnummer, naam}) or null.
import { labelUitPayload } from "../src/clienten.js";

let invoer = "";
for await (const deel of process.stdin) invoer += deel;
// An entry {eigenNummer, payload} stands for a message the organisation sent itself.
const label = (x) =>
  x && typeof x === "object" && !Array.isArray(x) && "eigenNummer" in x
    ? labelUitPayload(x.payload, { eigenNummer: x.eigenNummer })
    : labelUitPayload(x);
process.stdout.write(JSON.stringify(JSON.parse(invoer).map(label)));
