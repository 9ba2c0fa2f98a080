// The label the werkplek makes from a received message's client (src/clienten.js labelUitPayload)
// without a page, for tests/unit/test_clientlabel_js.py: reads a JSON list of payloads on stdin and
// writes, per payload, the label ({klantnummer, naam}) or null.
import { labelUitPayload } from "../src/clienten.js";

let invoer = "";
for await (const deel of process.stdin) invoer += deel;
process.stdout.write(JSON.stringify(JSON.parse(invoer).map(labelUitPayload)));
