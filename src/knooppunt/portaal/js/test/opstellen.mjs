// The werkplek compose's reading of a typed value (src/opstellen.js `waarde`, as formulier._scalair
// reads the hosted form's) for tests/unit/test_opstellen_js.py: reads {waarden: [{soort, naam,
// tekst}]} as JSON on stdin and writes, per value, {waarde} or {fout} (the Dutch error); {codes:
// [[keuze, anders]]} → [code] (gekozenCode: a code chosen, or the other one typed beside it).
// {namen: [tekst]} → [bestandsnaam] (a chosen PDF's name as the payload's bestandsnaam).
import { bestandsnaam, gekozenCode, waarde } from "../src/opstellen.js";

let invoer = "";
for await (const deel of process.stdin) invoer += deel;
const { waarden = [], codes = [], namen = [] } = JSON.parse(invoer);
process.stdout.write(
  JSON.stringify({
    waarden: waarden.map(({ soort, naam, tekst }) => {
      try {
        return { waarde: waarde(soort, tekst, naam) };
      } catch (fout) {
        return { fout: fout.message };
      }
    }),
    codes: codes.map(([keuze, anders]) => gekozenCode(keuze, anders)),
    namen: namen.map(bestandsnaam),
  }),
);
