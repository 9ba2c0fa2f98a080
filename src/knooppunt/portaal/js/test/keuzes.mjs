// The werkplek upload's list of choices in an error (src/uploaden.js `keuzes`, as
// formulier.keuzes says it) for tests/unit/test_uploaden_js.py: reads {opties: [[[code, tekst]]]}
// as JSON on stdin and writes each list as the error names it.
import { keuzes } from "../src/uploaden.js";

let invoer = "";
for await (const deel of process.stdin) invoer += deel;
const { opties = [] } = JSON.parse(invoer);
process.stdout.write(JSON.stringify({ keuzes: opties.map(keuzes) }));
