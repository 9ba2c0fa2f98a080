// The werkplek's zip engine (src/downloaden.js, with indeling.js and leesbaar.js) without a page,
// for tests/unit/test_downloaden_js.py: reads {indeling, cellen, csv: [{bestand, berichten}], kopie,
// controle} as JSON on stdin and writes the cells, the CSV files (base64) and a readable copy as the
// browser would put them in the zip, and what the JSON Schema check says of each payload of
// `controle`.
import { cel, controleer, csvVan } from "../src/downloaden.js";
import { stelIndeling } from "../src/indeling.js";
import { leesbareKopie } from "../src/leesbaar.js";

let invoer = "";
for await (const deel of process.stdin) invoer += deel;
const gegeven = JSON.parse(invoer);
stelIndeling(gegeven.indeling);
const uit = {
  cellen: gegeven.cellen.map(cel),
  csv: gegeven.csv.map(({ bestand, berichten }) =>
    Buffer.from(csvVan(gegeven.indeling.soorten[bestand], berichten)).toString("base64"),
  ),
  kopie: gegeven.kopie ? Buffer.from(leesbareKopie(gegeven.kopie.bericht, gegeven.kopie.gemaakt)).toString("utf8") : null,
  controle: gegeven.controle.map(({ env, payload }) => {
    try {
      controleer(env, payload);
      return { geldig: true };
    } catch (fout) {
      return { reden: fout.reden, melding: fout.message };
    }
  }),
};
process.stdout.write(JSON.stringify(uit));
