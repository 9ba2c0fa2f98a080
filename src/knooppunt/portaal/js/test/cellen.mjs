// The generic upload's reading in the page (src/uploaden.js) for tests/unit/test_uploaden_js.py:
// reads {cellen: [{kolom: {naam, soort, opties}, tekst}], paden: [veld], standaard: [{payload,
// schema, standaard}]} as JSON on stdin, writes {cellen: [{waarde}|{fout}], paden: [kolom], standaard:
// [payload]}: a cell's value (csvindeling.waarde), an error path's column (kolom_van_pad), a payload
// with the defaults pydantic's model_dump adds.
import { celwaarde, kolomVanPad, metStandaard } from "../src/uploaden.js";

let invoer = "";
for await (const deel of process.stdin) invoer += deel;
const { cellen = [], paden = [], standaard = [] } = JSON.parse(invoer);
const lees = ({ kolom, tekst }) => {
  try {
    return { waarde: celwaarde(kolom, tekst) };
  } catch (e) {
    return { fout: e.message };
  }
};
process.stdout.write(
  JSON.stringify({
    cellen: cellen.map(lees),
    paden: paden.map(kolomVanPad),
    standaard: standaard.map((s) => metStandaard(s.payload, s.schema, s.standaard)),
  }),
);
