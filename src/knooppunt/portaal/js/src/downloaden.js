// The werkplek's "Downloaden" part (art. 16–17, DESIGN §5 "Portal" and §7): the open messages
// fetched, decrypted, verified and validated in this page's memory and zipped here — the same zip
// the portal builds on the server for hosted keys (export.py): per CSV file the envelope, the
// payload's dotted columns and empty answer columns (`;`, UTF-8 with BOM, CRLF, formula cells
// escaped), a readable copy per message (text), the documents under bijlagen/, and the LEESMIJ.
//
// Nothing here knows a message type: the layout (file names, envelope columns, column trees,
// answer columns, JSON Schemas, labels, the escaping's characters) comes from the server
// (GET /indeling, generated from export.py, csvindeling.py, leesbaar.py and the payload models:
// indeling.js), and this module applies it generically; the readable copies are leesbaar.js's, the
// same description the Sleutels page shows an opened message with. What goes back to the server is referentienummers and
// weigering codes — never a payload.
//
// Client names: the server hands each page of messages the labels of their trajecten as ciphertext
// (clienten.js encrypted them under the organisation's label key); they are decrypted here and shown
// in the table, in the readable copies' headings and in clienten.csv. They never go back readable: a
// traject without a label is named from the client its opened message names (clienten.js
// noemUitBerichten encrypts and stores that label) before the zip is made.

import { Validator } from "@cfworker/json-schema";
import { strToU8, zipSync } from "fflate";
import { bijNamen, clientnaam, labeltekst, noemUitBerichten, ontsleutel } from "./clienten.js";
import { g, indeling, isPdf, laadIndeling, lokaal, typenaam, typeVan } from "./indeling.js";
import { isObject, leesbareKopie } from "./leesbaar.js";
import { Onbetrouwbaar, open } from "./openen.js";
import { afzenderFout, controleer as controleerInhoud, nlDatums } from "./controles.js";
import { $, api, cel as tabelcel, geheugen, melding, meervoud, onderdeel, tijdstip as paginatijd } from "./werkplek.js";

// JSON Schema keywords in words, for the reason a message is left out (shown only in the page).
const REGELS = {
  type: "heeft een verkeerd soort waarde",
  required: "mist een verplicht veld",
  additionalProperties: "bevat een veld dat het berichttype niet kent",
  false: "is een veld dat het berichttype niet kent",
  unevaluatedProperties: "bevat een veld dat het berichttype niet kent",
  pattern: "heeft niet de vereiste vorm",
  format: "heeft niet de vereiste vorm",
  enum: "heeft geen toegestane waarde",
  const: "heeft geen toegestane waarde",
  minLength: "is te kort",
  maxLength: "is te lang",
  minimum: "is te klein",
  exclusiveMinimum: "is te klein",
  maximum: "is te groot",
  exclusiveMaximum: "is te groot",
  multipleOf: "heeft te veel decimalen",
  minItems: "heeft te weinig onderdelen",
  maxItems: "heeft te veel onderdelen",
};
const SAMENVATTEND = new Set(["properties", "$ref", "allOf", "anyOf", "oneOf", "items", "prefixItems", "$defs"]);

const GELIJKTIJDIG = 16; // messages opened at the same time (WebCrypto works asynchronously)

const validators = new Map(); // "module/versie/code" → Validator
let laatste = null; // the last zip: {url, bestandsnaam, berichten: [{env, typeNaam}]}

function validator(sleutel, schema) {
  if (!validators.has(sleutel)) validators.set(sleutel, new Validator(schema, "2020-12", true));
  return validators.get(sleutel);
}

// --- cells (export.cel, csvformaat.veilig) ----------------------------------------------------------------

function isFormule(tekst) {
  if (!tekst) return false;
  if (indeling.formule.has(tekst[0])) return true;
  for (const teken of tekst) {
    if (!indeling.overslaan.has(teken)) return indeling.formule.has(teken);
  }
  return false;
}

export function veilig(tekst) {
  return isFormule(tekst) ? `'${tekst}` : tekst;
}

// A value as its CSV cell. A JSON number with a fraction is Python's float (written with "g", not
// escaped); a whole number is an int.
export function cel(waarde) {
  if (waarde === null || waarde === undefined) return "";
  if (typeof waarde === "boolean") return waarde ? indeling.cel.ja : indeling.cel.nee;
  if (typeof waarde === "number" && !Number.isInteger(waarde)) return g(waarde);
  return veilig(String(waarde));
}

// --- times (export.moment) ------------------------------------------------------------------------------

// ISO 8601 in Dutch local time, to the second: 2026-12-07T09:30:00+01:00.
function moment(iso) {
  const d = lokaal(iso);
  if (d === null) return "";
  const o = Math.abs(d.offset);
  const teken = d.offset < 0 ? "-" : "+";
  const uur = String(Math.floor(o / 60)).padStart(2, "0");
  return `${d.year}-${d.month}-${d.day}T${d.hour}:${d.minute}:${d.second}${teken}${uur}:${String(o % 60).padStart(2, "0")}`;
}

// --- columns (export.plat, _vouw_uit, _voeg_samen, payloadkolommen) ---------------------------------------

function plat(waarde, prefix = "", uit = {}) {
  if (isObject(waarde)) {
    for (const [sleutel, binnen] of Object.entries(waarde)) plat(binnen, `${prefix}${sleutel}.`, uit);
  } else if (Array.isArray(waarde)) {
    uit[`${prefix.slice(0, -1)}#`] = waarde.length;
    waarde.forEach((binnen, i) => plat(binnen, `${prefix}${i + 1}.`, uit));
  } else {
    uit[prefix.slice(0, -1)] = waarde;
  }
  return uit;
}

function* vouwUit(boom, prefix, aantallen) {
  for (const knoop of boom) {
    const pad = `${prefix}${knoop.veld}`;
    if ("groep" in knoop) {
      yield* vouwUit(knoop.groep, `${pad}.`, aantallen);
    } else if ("lijst" in knoop) {
      for (let n = 1; n <= Math.max(1, aantallen.get(pad) ?? 0); n++) {
        if (knoop.lijst !== null) yield* vouwUit(knoop.lijst, `${pad}.${n}.`, aantallen);
        else yield `${pad}.${n}`;
      }
    } else {
      yield pad;
    }
  }
}

function voegSamen(lijsten) {
  const samen = [];
  const gezien = new Set();
  for (const lijst of lijsten) {
    let vorige = null;
    for (const kolom of lijst) {
      if (!gezien.has(kolom)) {
        samen.splice(vorige !== null ? samen.indexOf(vorige) + 1 : samen.length, 0, kolom);
        gezien.add(kolom);
      }
      vorige = kolom;
    }
  }
  return samen;
}

function payloadkolommen(typen, platte, module, versie) {
  const aantallen = new Map();
  for (const rij of platte) {
    for (const [sleutel, waarde] of Object.entries(rij)) {
      if (sleutel.endsWith("#")) {
        const pad = sleutel.slice(0, -1);
        aantallen.set(pad, Math.max(aantallen.get(pad) ?? 0, waarde));
      }
    }
  }
  const lijsten = [];
  for (const code of typen) {
    const boom = indeling.typen[`${module}/${versie}/${code}`]?.kolommen;
    if (boom) lijsten.push([...vouwUit(boom, "", aantallen)]);
  }
  const bekend = new Set(voegSamen(lijsten));
  const extra = new Set();
  for (const rij of platte) for (const k of Object.keys(rij)) if (!k.endsWith("#") && !bekend.has(k)) extra.add(k);
  lijsten.push([...extra].sort());
  return voegSamen(lijsten);
}

// --- documents (export.is_pdf, bijlagenaam, bijlagen) -----------------------------------------------------

function bijlagenaam(b, kolom) {
  return `${indeling.bijlage.map}${b.env.berichttype}-${b.env.referentienummer}-${kolom.replaceAll(".", "-")}.pdf`;
}

function base64(tekst) {
  if (tekst.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(tekst)) return null;
  const binair = atob(tekst);
  const uit = new Uint8Array(binair.length);
  for (let i = 0; i < binair.length; i++) uit[i] = binair.charCodeAt(i);
  return uit;
}

// --- the CSV (export.csv_van, _csv) ---------------------------------------------------------------------

// Python's csv writer (QUOTE_MINIMAL, ";", CRLF): a field is quoted when it holds the separator, a
// quote or a line break. (Papa.unparse also quotes leading and trailing spaces: not the same file.)
function csvRegel(velden) {
  const sep = indeling.cel.scheidingsteken;
  return velden
    .map((v) => (v.includes(sep) || v.includes('"') || v.includes("\r") || v.includes("\n") ? `"${v.replaceAll('"', '""')}"` : v))
    .join(sep);
}

const BOM = "\ufeff";

export function csvVan(soort, berichten) {
  let kolommen;
  let platte;
  if (berichten.every((b) => b.melding !== null)) {
    kolommen = soort.melding;
    platte = berichten.map((b) => plat(b.melding ?? {}, "melding."));
  } else {
    platte = berichten.map((b) => {
      const rij = plat(b.payload ?? {});
      for (const [kolom, waarde] of Object.entries(rij)) if (isPdf(waarde)) rij[kolom] = bijlagenaam(b, kolom);
      return rij;
    });
    const typen = [...new Set(berichten.map((b) => b.env.berichttype))].sort();
    kolommen = payloadkolommen(typen, platte, soort.module, soort.versie);
  }
  const envelop = (b) =>
    soort.envelop.map(({ kolom, bron }) =>
      bron === "moment" ? moment(b.env[kolom]) : bron === "naam" ? cel(b.env.afzenderNaam ?? b.env.afzender) : cel(b.env[kolom]),
    );
  const leeg = soort.antwoord.map(() => "");
  const regels = [csvRegel([...soort.envelop.map((e) => e.kolom), ...kolommen, ...soort.antwoord])];
  berichten.forEach((b, i) => regels.push(csvRegel([...envelop(b), ...kolommen.map((k) => cel(platte[i][k])), ...leeg])));
  return strToU8(BOM + regels.join("\r\n") + "\r\n");
}

// --- client names (clienten.js), decrypted in this page only ------------------------------------------------

function conversatieVan(b) {
  return String(b.env.conversatieReferentienummer ?? "").toLowerCase();
}

// Each message's client as the organisation named its traject: b.client is "naam · klantnummer" or
// null; b.clientfout says why a stored label did not decrypt. `opgeslagen` is conversation →
// {sleutel, iv, versleuteld} as GET-ed with the messages.
export async function noemClienten(berichten, opgeslagen) {
  const labels = new Map();
  for (const [conversatie, label] of Object.entries(opgeslagen)) {
    labels.set(conversatie.toLowerCase(), await ontsleutel(conversatie, label));
  }
  for (const b of berichten) {
    const label = labels.get(conversatieVan(b));
    b.client = labeltekst(label);
    b.clientfout = label?.fout ?? null;
  }
}

// The trajecten without a label, named from the client their opened messages name (clienten.js
// noemUitBerichten, which never overwrites a label); b.client follows. Returns how many were named.
export async function noemUitInhoud(geopend) {
  const zonder = geopend.filter((b) => !b.client && !b.clientfout && b.payload);
  const benoemd = await noemUitBerichten(zonder.map((b) => ({ conversatie: conversatieVan(b), payload: b.payload })));
  for (const b of zonder) b.client = clientnaam(conversatieVan(b));
  return benoemd;
}

// What the table shows in the Cliënt column: the name, or "onbekende cliënt" and the traject's
// short reference (as the Cliënten part shows a traject without a name).
export function clienttekst(b) {
  if (b.client) return b.client;
  const conversatie = conversatieVan(b);
  if (!conversatie) return "onbekende cliënt";
  const waarom = b.clientfout ? `; naam ${b.clientfout}` : "";
  return `onbekende cliënt (traject ${conversatie.slice(0, 8)}${waarom})`;
}

// clienten.csv: a row per traject with a name (first appearance first), in the CSV files' conventions
// (";", UTF-8 with BOM, CRLF, formula cells escaped). null when no message has a name: then the zip
// has no such file. The per-type CSV files stay the server's (they are the upload templates).
export function clientenCsv(berichten) {
  const namen = new Map();
  for (const b of berichten) {
    const conversatie = conversatieVan(b);
    if (b.client && conversatie && !namen.has(conversatie)) namen.set(conversatie, b.client);
  }
  if (namen.size === 0) return null;
  const regels = [csvRegel(["conversatieReferentienummer", "cliënt"])];
  for (const [conversatie, naam] of namen) regels.push(csvRegel([veilig(conversatie), veilig(naam)]));
  return strToU8(BOM + regels.join("\r\n") + "\r\n");
}

// The LEESMIJ comes from the server, which knows no names: this page adds the paragraph about
// clienten.csv itself, only when the file is in the zip.
export const LEESMIJ_CLIENTEN = [
  "",
  "CLIËNTEN",
  "- clienten.csv: per traject (conversatieReferentienummer) de naam en het klantnummer die uw",
  "  organisatie de cliënt op de werkplek gaf; kolommen conversatieReferentienummer en cliënt",
  "  (naam · klantnummer). Koppel ze aan de berichten met de kolom conversatieReferentienummer van de",
  "  andere CSV-bestanden. De leesbare kopieën noemen de cliënt in hun kop.",
  "- De namen zijn in uw browser ontsleuteld en staan alleen in deze zip: het knooppunt kan ze niet",
  "  lezen. Een traject zonder naam staat niet in clienten.csv.",
  "",
].join("\r\n");

// --- fetching and opening ------------------------------------------------------------------------------------

function voortgang(tekst) {
  $("download-voortgang").textContent = tekst;
}

async function haalAlles() {
  const berichten = [];
  const pems = new Map();
  const labels = {};
  let na = null;
  for (;;) {
    const r = await api("/download/berichten", { methode: "POST", body: { na } });
    for (const [x5t, pem] of Object.entries(r.certificaten)) pems.set(x5t, pem);
    Object.assign(labels, r.labels ?? {});
    berichten.push(...r.berichten);
    voortgang(`Berichten ophalen… ${berichten.length} opgehaald.`);
    if (r.klaar || r.volgende === null || berichten.length >= indeling.maxZip) break;
    na = r.volgende;
  }
  return { berichten: berichten.slice(0, indeling.maxZip), pems, labels };
}

// A decrypted payload against the JSON Schema of its type (from the layout), then the payload
// model's rules beyond it (controles.js) and the module's rules for the sender's role
// (env.afzenderRol) — what the SDK's fetch checks (client.hub.open_inhoud); throws Onbetrouwbaar
// INHOUD_ONGELDIG naming the field and the rule in Dutch (a JSON Schema error never its value; a
// rule's reason as the Python validator words it, its dates as dd-mm-jjjj). The reason stays in
// this page: the server gets the code only.
export function controleer(env, gelezen) {
  const type = typeVan(env);
  const typeNaam = type?.naam ?? env.berichttype;
  if (type === null || type.schema === null) {
    throw new Onbetrouwbaar("INHOUD_ONGELDIG", `het berichttype ${env.module}/${env.berichttype} versie ${env.versie} kent dit portaal niet`);
  }
  const uitslag = validator(`${env.module}/${env.versie}/${env.berichttype}`, type.schema).validate(gelezen);
  if (!uitslag.valid || !isObject(gelezen)) {
    // The deepest error that is not a combinator's summary names the field (never its value).
    const fouten = uitslag.errors.filter((f) => !SAMENVATTEND.has(f.keyword));
    const fout = fouten.sort((a, b) => b.instanceLocation.length - a.instanceLocation.length)[0] ?? uitslag.errors[0];
    const plek = fout ? fout.instanceLocation.replace(/^#\/?/, "").replaceAll("/", ".") : "";
    const wat = REGELS[fout?.keyword] ?? `voldoet niet aan de regel '${fout?.keyword ?? "type"}'`;
    throw new Onbetrouwbaar(
      "INHOUD_ONGELDIG",
      `de inhoud voldoet niet aan het schema van ${typeNaam}: ${plek ? `veld ${plek}` : "het bericht"} ${wat}`,
    );
  }
  const regels = controleerInhoud(gelezen, type.schema, env.berichttype);
  const rol = afzenderFout(env.module, env.berichttype, env.afzenderRol, gelezen);
  if (rol) regels.push(rol);
  if (regels.length) {
    throw new Onbetrouwbaar(
      "INHOUD_ONGELDIG",
      `de inhoud voldoet niet aan de regels van ${typeNaam}: ${regels.map((f) => `${f.veld}: ${nlDatums(f.reden)}`).join("; ")}`,
    );
  }
}

// One message: {env, typeNaam, payload, melding} or {env, typeNaam, reden, uitleg}.
async function openEen(env, pems) {
  const type = typeVan(env);
  const typeNaam = typenaam(env);
  if (env.melding) return { env, typeNaam, payload: null, melding: env.melding };
  try {
    if (type === null || type.schema === null) {
      throw new Onbetrouwbaar(
        "INHOUD_ONGELDIG",
        `het berichttype ${env.module}/${env.berichttype} versie ${env.versie} kent dit portaal niet`,
      );
    }
    if (env.certificaatfout) throw new Onbetrouwbaar("HANDTEKENING_ONGELDIG", env.certificaatfout);
    const certificaten = async () => env.certificaten.map((x) => pems.get(x)).filter(Boolean);
    const { payload } = await open(env, geheugen.versleuteling, certificaten);
    let gelezen;
    try {
      gelezen = JSON.parse(payload);
    } catch {
      throw new Onbetrouwbaar("INHOUD_ONGELDIG", "de inhoud is geen geldige JSON");
    }
    controleer(env, gelezen);
    return { env, typeNaam, payload: gelezen, melding: null };
  } catch (fout) {
    if (fout instanceof Onbetrouwbaar) return { env, typeNaam, reden: fout.reden, uitleg: fout.message };
    return { env, typeNaam, reden: "ONTSLEUTELING_MISLUKT", uitleg: fout.message };
  }
}

async function openAlles(berichten, pems) {
  const uit = new Array(berichten.length);
  let volgende = 0;
  let klaar = 0;
  async function werker() {
    while (volgende < berichten.length) {
      const i = volgende++;
      uit[i] = await openEen(berichten[i], pems);
      klaar++;
      if (klaar % 50 === 0) voortgang(`Ontsleutelen en controleren… ${klaar} van ${berichten.length}.`);
    }
  }
  await Promise.all(Array.from({ length: GELIJKTIJDIG }, werker));
  return uit;
}

// --- the zip (export.bouw) -----------------------------------------------------------------------------------

function bouwBestanden(geopend, leesmij, gemaakt) {
  const perSoort = new Map();
  for (const b of geopend) {
    // Only a hub notice reaches this without a type of the layout (the rest failed validation).
    const bestand = typeVan(b.env)?.bestand ?? indeling.meldingen;
    if (!perSoort.has(bestand)) perSoort.set(bestand, []);
    perSoort.get(bestand).push(b);
  }
  const volgorde = [...perSoort.keys()].sort((a, b) => {
    const ia = indeling.volgorde.indexOf(a);
    const ib = indeling.volgorde.indexOf(b);
    return (ia < 0 ? Infinity : ia) - (ib < 0 ? Infinity : ib) || (a < b ? -1 : a > b ? 1 : 0);
  });
  const bestanden = {};
  for (const bestand of volgorde) bestanden[bestand] = csvVan(indeling.soorten[bestand], perSoort.get(bestand));
  for (const b of geopend) {
    bestanden[`leesbaar/${b.env.berichttype}-${b.env.referentienummer}.txt`] = leesbareKopie(b, gemaakt);
    for (const [kolom, w] of Object.entries(plat(b.payload ?? {}))) {
      if (!isPdf(w)) continue;
      const data = base64(w);
      if (data !== null) bestanden[bijlagenaam(b, kolom)] = data;
    }
  }
  const clienten = clientenCsv(geopend);
  if (clienten !== null) bestanden["clienten.csv"] = clienten;
  bestanden["LEESMIJ.txt"] = strToU8(BOM + leesmij + (clienten !== null ? LEESMIJ_CLIENTEN : ""));
  return bestanden;
}

function bied(inhoud, bestandsnaam) {
  if (laatste?.url) URL.revokeObjectURL(laatste.url);
  const url = URL.createObjectURL(new Blob([inhoud], { type: "application/zip" }));
  const link = $("download-link");
  link.href = url;
  link.download = bestandsnaam;
  link.textContent = `${bestandsnaam} opnieuw opslaan`;
  link.click();
  return url;
}

async function maakDownload() {
  const knop = $("download-maken");
  knop.disabled = true;
  melding("");
  $("download-klaar").hidden = true;
  $("download-niet-geopend").hidden = true;
  try {
    const t0 = performance.now();
    await laadIndeling();
    const { berichten, pems, labels } = await haalAlles();
    const t1 = performance.now();
    if (berichten.length === 0) {
      voortgang("Er staan geen berichten klaar om te downloaden.");
      return;
    }
    const geopend = [];
    const niet = [];
    for (const b of await openAlles(berichten, pems)) (b.reden ? niet : geopend).push(b);
    await noemClienten([...geopend, ...niet], labels);
    const benoemd = await noemUitInhoud(geopend);
    const t2 = performance.now();
    voortgang(`Zip maken… ${meervoud(geopend.length, "bericht", "berichten")}.`);
    const leesmij = await api("/download/leesmij", {
      methode: "POST",
      body: {
        inZip: geopend.map((b) => b.env.referentienummer),
        nietGeopend: niet.map((b) => ({ referentienummer: b.env.referentienummer, reden: b.reden })),
      },
    });
    const t3 = performance.now();
    const zip = geopend.length ? zipSync(bouwBestanden(geopend, leesmij.tekst, leesmij.gemaakt), { level: 6, mtime: new Date(leesmij.gemaakt) }) : null;
    const t4 = performance.now();
    toonNietGeopend(niet);
    if (zip === null) {
      laatste = null;
      voortgang(
        niet.every(opOudeSleutel)
          ? "Deze berichten zijn nog versleuteld voor de sleutel die het portaal voor uw organisatie bewaarde; " +
              "het portaal opent en downloadt ze bij Ontvangen berichten. Er is hier geen zip gemaakt."
          : "Geen enkel bericht kon worden geopend; er is geen zip gemaakt. Zie hieronder.",
      );
      return;
    }
    const url = bied(zip, leesmij.bestandsnaam);
    laatste = { url, bestandsnaam: leesmij.bestandsnaam, berichten: geopend };
    toonInhoud(geopend);
    // How long each phase took (milliseconds; bench/browser_zip.py reads them): fetching from the
    // server, opening (decrypt, verify, validate), the LEESMIJ request, building and zipping.
    $("download-voortgang").dataset.tijden = JSON.stringify({
      ophalen: t1 - t0,
      openen: t2 - t1,
      leesmij: t3 - t2,
      zip: t4 - t3,
      berichten: berichten.length,
      geopend: geopend.length,
      bytes: zip.length,
    });
    voortgang(
      `Klaar: ${geopend.length} bericht${geopend.length === 1 ? "" : "en"} in ${leesmij.bestandsnaam}` +
        (niet.length ? `; ${niet.length} niet geopend (zie hieronder).` : ".") +
        (benoemd
          ? ` ${benoemd === 1 ? "De naam van 1 cliënt is" : `De namen van ${benoemd} cliënten zijn`} uit de berichten overgenomen en versleuteld bewaard.`
          : ""),
    );
  } catch (fout) {
    voortgang("");
    melding(`De download kon niet worden gemaakt: ${fout.message}. Er is niets bevestigd; probeer het opnieuw.`);
  } finally {
    knop.disabled = false;
  }
}

// --- what the page shows: left out (refuse), in the zip (confirm, 17.2–17.3) ------------------------------------

function toonNietGeopend(niet) {
  const lijst = $("niet-geopend-lijst");
  lijst.replaceChildren();
  for (const b of niet) {
    const li = document.createElement("li");
    li.dataset.referentienummer = b.env.referentienummer;
    const tekst = document.createElement("span");
    const uitleg = indeling.weigerredenen[b.reden] ?? b.reden;
    const wat = `${b.typeNaam} van ${b.env.afzenderNaam ?? b.env.afzender} voor ${clienttekst(b)} (${b.env.referentienummer}): `;
    if (opOudeSleutel(b)) {
      // Sealed for the key the portal hosted before the keys in the browser (DESIGN §5 "Migration"):
      // not the sender's fault and nothing to refuse — the portal still opens it, server-side.
      tekst.textContent = `${wat}nog versleuteld voor de sleutel die het portaal voor uw organisatie bewaarde. `;
      li.append(tekst, oudeSleutelLink(b.env));
      lijst.appendChild(li);
      continue;
    }
    tekst.textContent = `${wat}${uitleg} — ${b.uitleg} (${b.reden}). `;
    li.appendChild(tekst);
    if (b.reden in indeling.weigerredenen) {
      const knop = document.createElement("button");
      knop.type = "button";
      knop.className = "knop secundair";
      knop.textContent = "Weigeren";
      knop.setAttribute("aria-label", `Weigeren: ${b.typeNaam} ${b.env.referentienummer}`);
      knop.addEventListener("click", () => weiger(b, li, knop));
      li.appendChild(knop);
    }
    lijst.appendChild(li);
  }
  $("download-niet-geopend").hidden = niet.length === 0;
}

function opOudeSleutel(b) {
  return b.reden === "SLEUTEL_ONBRUIKBAAR" && b.env.oudeSleutel === true;
}

/** A link to the portal's own page for a message sealed for the old hosted key, which opens it. */
export function oudeSleutelLink(env) {
  const link = document.createElement("a");
  link.href = `/portaal/ontvangen/${encodeURIComponent(env.referentienummer)}`;
  link.textContent = "Openen bij Ontvangen berichten";
  return link;
}

async function weiger(b, li, knop) {
  knop.disabled = true;
  melding("");
  try {
    await api("/download/weigeren", { methode: "POST", body: { referentienummer: b.env.referentienummer, reden: b.reden } });
    const klaar = document.createElement("strong");
    klaar.textContent = `Geweigerd (${b.reden}): de afzender krijgt een foutbericht en kan het opnieuw sturen.`;
    knop.replaceWith(klaar);
  } catch (fout) {
    knop.disabled = false;
    melding(`Het bericht ${b.env.referentienummer} is niet geweigerd: ${fout.message}`);
  }
}

// Names loaded, set or taken from an opened message elsewhere on the page: the table shows them at
// once (the zip already made keeps what it had).
bijNamen(() => {
  for (const b of laatste?.berichten ?? []) {
    const naam = clientnaam(conversatieVan(b));
    if (!naam) continue;
    b.client = naam;
    b.clientfout = null;
    const cel = $("download-lijst")?.querySelector(`tr[data-referentienummer="${b.env.referentienummer}"] .download-client`);
    if (cel) cel.textContent = clienttekst(b);
  }
});

function toonInhoud(geopend) {
  const lijst = $("download-lijst");
  lijst.replaceChildren();
  for (const b of geopend) {
    const rij = document.createElement("tr");
    rij.dataset.referentienummer = b.env.referentienummer;
    tabelcel(rij, b.typeNaam);
    tabelcel(rij, clienttekst(b)).className = "download-client";
    tabelcel(rij, b.env.afzenderNaam ?? b.env.afzender);
    tabelcel(rij, b.env.referentienummer);
    tabelcel(rij, paginatijd(b.env.verlooptOp)); // 17.3: until when it can be confirmed
    tabelcel(rij, "Gedownload, nog niet bevestigd").className = "download-status";
    lijst.appendChild(rij);
  }
  const eerste = geopend.map((b) => b.env.verlooptOp).sort((a, b) => new Date(a) - new Date(b))[0];
  $("download-samenvatting").textContent =
    `Verwerk de berichten in uw administratie en bevestig dan de download. Bevestig uiterlijk ${paginatijd(eerste)} ` +
    "(het eerste bericht verloopt dan); tot dan, en zolang u niet hebt bevestigd, kunt u opnieuw downloaden (art. 17.4).";
  $("download-bevestigen").disabled = false;
  $("download-klaar").hidden = false;
}

async function bevestig() {
  if (!laatste) return;
  const knop = $("download-bevestigen");
  knop.disabled = true;
  melding("");
  try {
    const refs = laatste.berichten.map((b) => b.env.referentienummer);
    const { uitkomsten } = await api("/download/bevestigen", { methode: "POST", body: { referentienummers: refs } });
    let goed = 0;
    for (const u of uitkomsten) {
      const rij = $("download-lijst").querySelector(`tr[data-referentienummer="${u.referentienummer}"]`);
      const statuscel = rij?.querySelector(".download-status");
      if (u.bevestigd) goed++;
      if (statuscel) {
        statuscel.textContent = u.bevestigd
          ? `Bevestigd${u.antwoordUiterlijk ? `; antwoorden uiterlijk ${paginatijd(u.antwoordUiterlijk)}` : ""}`
          : `Niet bevestigd: ${u.reden}`;
      }
    }
    voortgang(
      `${goed} van ${refs.length} bericht${refs.length === 1 ? "" : "en"} bevestigd (art. 17.2). Het knooppunt verwijdert nu de inhoud.`,
    );
  } catch (fout) {
    knop.disabled = false;
    melding(`De download is niet bevestigd: ${fout.message}. Probeer het opnieuw.`);
  }
}

onderdeel("Downloaden", {
  start() {
    if (!$("download-maken")) return;
    $("download-maken").addEventListener("click", maakDownload);
    $("download-bevestigen").addEventListener("click", bevestig);
  },
  ontgrendeld() {
    if (!$("download-maken")) return;
    voortgang("");
    $("download-klaar").hidden = true;
    $("download-niet-geopend").hidden = true;
  },
});
