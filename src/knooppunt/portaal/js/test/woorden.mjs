// The werkplek's Dutch words for numbers (src/werkplek.js `meervoud`, `leeftijd`) for
// tests/unit/test_uploaden_js.py: reads {leeftijden: [dagen], meervouden: [[n, enkelvoud, meervoud]]}
// as JSON on stdin and writes what the page says of each.
import { leeftijd, meervoud } from "../src/werkplek.js";

let invoer = "";
for await (const deel of process.stdin) invoer += deel;
const { leeftijden = [], meervouden = [] } = JSON.parse(invoer);
process.stdout.write(
  JSON.stringify({ leeftijden: leeftijden.map(leeftijd), meervouden: meervouden.map(([n, e, m]) => meervoud(n, e, m)) }),
);
