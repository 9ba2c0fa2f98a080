// The page's JSON Schema errors in Dutch (src/uploaden.js `schemafouten`) for
// tests/unit/test_uploaden_js.py: reads {gevallen: [{payload, schema}]} as JSON on stdin, validates
// each as the page does (cfworker, draft 2020-12, every error) and writes {gevallen: [[{pad, reden}]]}
// (an empty list when the payload is valid).
import { Validator } from "@cfworker/json-schema";
import { schemafouten } from "../src/uploaden.js";

let invoer = "";
for await (const deel of process.stdin) invoer += deel;
const { gevallen = [] } = JSON.parse(invoer);
process.stdout.write(
  JSON.stringify({
    gevallen: gevallen.map((g) => {
      const uitslag = new Validator(g.schema, "2020-12", false).validate(g.payload);
      return uitslag.valid ? [] : schemafouten(uitslag.errors, g.payload);
    }),
  }),
);
