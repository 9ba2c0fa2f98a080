// Runs the page's payload checks (src/controles.js) for tests/unit/test_uploaden_js.py: reads
// {gevallen: [{payload, schema, berichttype, vandaag}], waarden: [{soort: "bsn"|"iban"|"postcode"|
// "telefoon"|"email", waarde}]} as JSON on stdin, writes {gevallen: [[{veld, reden}]], waarden:
// [reden|null]} as JSON; {bsn: [payload]} → {bsn: [[pad]]} (bsnPaden); {afzender: [{module,
// berichttype, rol, payload}]} → [{veld, reden}|null] (afzenderFout); {datums: [tekst]} → [tekst]
// (nlDatums); {reprs: [tekst]} → [tekst] (pyRepr); {woorden: [{module, rol, payload, fout}]} →
// [reden] (inWoorden, the compose form's words for a sender rule).
import { afzenderFout, bsnFout, bsnPaden, controleer, emailFout, ibanFout, inWoorden, nlDatums, postcodeFout, pyRepr, telefoonFout } from "../src/controles.js";

const CONTROLES = { bsn: bsnFout, iban: ibanFout, postcode: postcodeFout, telefoon: telefoonFout, email: emailFout };

let invoer = "";
for await (const deel of process.stdin) invoer += deel;
const { gevallen = [], waarden = [], bsn = [], afzender = [], datums = [], reprs = [], woorden = [] } = JSON.parse(invoer);
process.stdout.write(
  JSON.stringify({
    gevallen: gevallen.map((g) => controleer(g.payload, g.schema, g.berichttype, g.vandaag)),
    waarden: waarden.map((w) => CONTROLES[w.soort](w.waarde)),
    bsn: bsn.map((payload) => bsnPaden(payload)),
    afzender: afzender.map((a) => afzenderFout(a.module, a.berichttype, a.rol, a.payload)),
    datums: datums.map(nlDatums),
    reprs: reprs.map(pyRepr),
    woorden: woorden.map((w) => inWoorden(w.module, w.rol, w.payload, w.fout)),
  }),
);
