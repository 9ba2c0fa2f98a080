// Uploading answers in the browser (DESIGN §5 "Portal", §7, art. 18.1–18.3): the creditor's CSV
// files are read, validated, numbered, signed and encrypted in this page; the server gets only
// envelopes (a dry run on metadata) and ciphertext (parts of ≤ 1,000 through the hub's batch path).
//
// A generic engine: which file kinds exist, their columns, which payload field a column fills, the
// answers a cell may choose and the payloads' JSON Schemas all come from the server
// (GET …/verzenden/indelingen, made from the portal's Python layouts): the handbook's files of
// schuldregeling 1.0 and the generic files of every module and version the participant accepts
// (answers with antwoord.berichttype, new messages with module and ontvanger; csvmodules.py). After
// the JSON Schema, controles.js makes the checks the Python payload models make beyond it. Every
// error is collected and shown by file, row and column; if anything is wrong nothing is sent (18.3c). An answer's
// referentienummer is a UUIDv8 from an HMAC under the organisation's number secret of the question
// and the answer (as portaal/antwoordnummers.py): uploading the same file again sends nothing twice.

import Papa from "papaparse";
import { Validator } from "@cfworker/json-schema";
import { zegel, ontvangersleutel, tekensleutel } from "./zegelen.js";
import { controleer, nlDatums } from "./controles.js";
import { $, api, cel, geheim, instellingen, leeftijd, meervoud, melding, onderdeel, status, tijdstip } from "./werkplek.js";

const VERSIE = "knooppunt-antwoordnummer-1"; // antwoordnummers.VERSIE
const ZEGELBLOK = 100; // messages sealed at once (Promise.all)
const ONZICHTBAAR = "\u200b\u200c\u200d\u2060\ufeff\u180e";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

let indeling = null;
let getoondeKids = new Set(); // young certificates whose warning the page showed
let bevestigdeKids = new Set(); // … and the user then confirmed

// --- cells -----------------------------------------------------------------------------------------

function eersteZichtbare(w) {
  for (const t of w) if (!/\s/u.test(t) && !ONZICHTBAAR.includes(t)) return t;
  return "";
}

function isFormule(w) {
  return Boolean(w) && (indeling.formuletekens.includes(w[0]) || indeling.formuletekens.includes(eersteZichtbare(w)));
}

// csvformaat.lees_cel: trimmed, without the ' the download put before a formula.
export function leesCel(waarde) {
  const kaal = String(waarde ?? "").trim();
  if (kaal.startsWith("'") && isFormule(String(waarde).trimStart().slice(1))) return kaal.slice(1).trim();
  return kaal;
}

export function kolomletter(index) {
  let letters = "";
  let i = index + 1;
  while (i) {
    const rest = (i - 1) % 26;
    letters = String.fromCharCode(65 + rest) + letters;
    i = Math.floor((i - 1) / 26);
  }
  return letters;
}

// --- JSON Schema: the schema of a payload path ----------------------------------------------------

function oplos(schema, wortel) {
  let s = schema;
  for (let n = 0; n < 10 && s; n++) {
    if (s.$ref) {
      s = s.$ref.split("/").slice(1).reduce((o, d) => (o ? o[d] : undefined), wortel);
      continue;
    }
    const keuzes = s.anyOf || s.oneOf;
    if (keuzes) {
      const echt = keuzes.filter((k) => k.type !== "null");
      if (echt.length === 1 && !s.properties) {
        s = echt[0];
        continue;
      }
    }
    return s;
  }
  return s;
}

// The schema of a dotted path ("vorderingen[].hoofdsom"), or null when the payload has no such field.
function schemaVan(wortel, pad) {
  let s = oplos(wortel, wortel);
  for (const deel of pad.split(".")) {
    const lijst = deel.endsWith("[]");
    const naam = lijst ? deel.slice(0, -2) : deel;
    if (!s || !s.properties || !s.properties[naam]) return null;
    s = oplos(s.properties[naam], wortel);
    if (lijst) {
      if (!s || !s.items) return null;
      s = oplos(s.items, wortel);
    }
  }
  return s;
}

function soortVan(s) {
  if (!s) return "tekst";
  const t = Array.isArray(s.type) ? s.type.find((x) => x !== "null") : s.type;
  if (t === "integer") return "geheel";
  if (t === "number") return "getal";
  if (t === "boolean") return "janee";
  if (s.format === "date") return "datum";
  return "tekst";
}

// A cell as the value of its payload field; throws a Dutch sentence when it cannot be one.
function waarde(soort, tekst, kolom) {
  if (soort === "geheel") {
    if (/^\d+$/.test(tekst)) return Number(tekst);
    throw new Error(
      /bedrag|som|rente|kosten/i.test(kolom)
        ? `'${tekst}' is geen bedrag in hele eurocenten: schrijf alleen cijfers, zonder punt, komma, spatie of €-teken (12345 is € 123,45).`
        : `'${tekst}' is geen geheel getal.`,
    );
  }
  if (soort === "getal") {
    const n = Number(tekst.replace(",", "."));
    if (Number.isFinite(n)) return n;
    throw new Error(`'${tekst}' is geen getal.`);
  }
  if (soort === "janee") {
    const k = tekst.toLowerCase();
    if (["ja", "j", "true", "waar", "1"].includes(k)) return true;
    if (["nee", "n", "false", "onwaar", "0"].includes(k)) return false;
    throw new Error(`'${tekst}' is geen ja of nee.`);
  }
  if (soort === "datum") {
    const nl = /^(\d{1,2})[-/](\d{1,2})[-/](\d{4})$/.exec(tekst);
    if (!nl) return tekst; // the schema checks (and explains) the ISO form
    const [d, m, j] = [Number(nl[1]), Number(nl[2]), Number(nl[3])];
    const datum = new Date(Date.UTC(j, m - 1, d));
    if (datum.getUTCDate() !== d || datum.getUTCMonth() !== m - 1) throw new Error(`'${tekst}' is geen bestaande datum.`);
    return `${String(j).padStart(4, "0")}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
  }
  return tekst;
}

function zet(doel, pad, w) {
  const delen = pad.split(".");
  let huidig = doel;
  delen.forEach((deel, i) => {
    if (i === delen.length - 1) huidig[deel] = w;
    else huidig = huidig[deel] ?? (huidig[deel] = {});
  });
}

// --- numbering (antwoordnummers.py) ---------------------------------------------------------------

export function canoniek(x) {
  if (Array.isArray(x)) return `[${x.map(canoniek).join(",")}]`;
  if (x && typeof x === "object") {
    return `{${Object.keys(x)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canoniek(x[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(x);
}

export async function uuid8(sleutel, gegevens) {
  const ruw = new Uint8Array((await crypto.subtle.sign("HMAC", sleutel, new TextEncoder().encode(gegevens))).slice(0, 16));
  ruw[6] = (ruw[6] & 0x0f) | 0x80;
  ruw[8] = (ruw[8] & 0x3f) | 0x80;
  const hex = Array.from(ruw, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function vandaag() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Amsterdam", year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
}

// --- reading a file --------------------------------------------------------------------------------

class Verslag {
  constructor() {
    this.fouten = [];
    this.berichten = [];
    this.bestanden = [];
    this.gemeld = new Set();
  }
  fout(bestand, rij, kolom, reden) {
    const sleutel = `${bestand.naam}|${rij}|${kolom}`;
    if (kolom && this.gemeld.has(sleutel)) return;
    this.gemeld.add(sleutel);
    const index = kolom && bestand.kop ? bestand.kop.indexOf(kolom) : -1;
    this.fouten.push({ bestand: bestand.naam, rij, kolom, letter: index >= 0 ? kolomletter(index) : null, reden });
    bestand.fouten = (bestand.fouten || 0) + 1;
  }
}

async function leesBestand(file, verslag) {
  const bestand = { naam: file.name, kop: null, rijen: 0, berichten: 0, overgeslagen: 0, alVerzonden: 0, fouten: 0 };
  verslag.bestanden.push(bestand);
  if (!file.name.toLowerCase().endsWith(".csv")) {
    verslag.fout(bestand, null, null, `Alleen bestanden met de extensie .csv kunnen worden geüpload (art. 18.3a). Sla het bestand in uw spreadsheetprogramma op als '${indeling.excel}'.`);
    return;
  }
  if (file.size > indeling.maxBestand) {
    // In bytes too, as the server says it: just over the limit, "4,0 MB" against "4 MB" would not say why.
    const bytes = (n) => n.toLocaleString("nl-NL");
    verslag.fout(bestand, null, null, `Het bestand is ${(file.size / 1024 / 1024).toFixed(1).replace(".", ",")} MB (${bytes(file.size)} bytes); de grens is 4 MB (${bytes(indeling.maxBestand)} bytes) per bestand (art. 18.3b). Verdeel de rijen over meerdere bestanden en upload die samen.`);
    return;
  }
  const data = new Uint8Array(await file.arrayBuffer());
  if (data[0] === 0x50 && data[1] === 0x4b && data[2] === 3 && data[3] === 4) {
    verslag.fout(bestand, null, null, `Dit is een Excel-werkmap (.xlsx) met de extensie .csv. Open het in Excel en kies Opslaan als '${indeling.excel}'.`);
    return;
  }
  if ((data[0] === 0xff && data[1] === 0xfe) || (data[0] === 0xfe && data[1] === 0xff)) {
    verslag.fout(bestand, null, null, `Het bestand is in UTF-16 (Unicode) opgeslagen; het knooppunt leest UTF-8. Sla het op als '${indeling.excel}'.`);
    return;
  }
  let tekst;
  try {
    tekst = new TextDecoder("utf-8", { fatal: true }).decode(data); // drops a UTF-8 BOM
  } catch {
    verslag.fout(bestand, null, null, `Het bestand is niet in UTF-8 opgeslagen (waarschijnlijk Windows-1252/ANSI). Sla het op als '${indeling.excel}'.`);
    return;
  }
  const gelezen = Papa.parse(tekst, { delimiter: indeling.scheidingsteken, skipEmptyLines: false });
  const kapot = gelezen.errors.find((e) => e.type === "Quotes");
  if (kapot) {
    verslag.fout(bestand, (kapot.row ?? 0) + 1, null, 'Het bestand is geen geldige CSV: controleer de aanhalingstekens (") in de cellen.');
    return;
  }
  const records = gelezen.data;
  if (!records.length || !records[0].some((c) => c.trim())) {
    verslag.fout(bestand, 1, null, "Het bestand is leeg of de eerste rij (de kopregel) is leeg.");
    return;
  }
  const kop = records[0].map(leesCel);
  bestand.kop = kop;
  if (kop.length === 1 && (kop[0].includes(",") || kop[0].includes("\t"))) {
    verslag.fout(bestand, 1, null, `Het scheidingsteken is ${kop[0].includes(",") ? "een komma (,)" : "een tab"}; het knooppunt gebruikt een puntkomma (;), zoals in het gedownloade bestand. Sla het bestand op als '${indeling.excel}'.`);
    return;
  }
  const namen = new Set(kop.map((k) => k.toLowerCase()));
  const generiek = indeling.generiek;
  if (namen.has(generiek.antwoord.kenmerk.toLowerCase())) {
    await leesGeneriek(bestand, "antwoord", kop, records, verslag);
    return;
  }
  if (namen.has(generiek.start.kenmerk.toLowerCase()) && namen.has("ontvanger")) {
    await leesGeneriek(bestand, "start", kop, records, verslag);
    return;
  }
  const gevonden = indeling.soorten.filter((s) => namen.has(s.kenmerk.toLowerCase()));
  // Without its marker column, a file whose other answer columns are one kind's is that kind's.
  const lijkt = gevonden.length
    ? null
    : indeling.soorten
        .map((s) => ({ s, n: (s.kolommen || []).filter((k) => k.toLowerCase().startsWith("antwoord.") && namen.has(k.toLowerCase())).length }))
        .filter((x) => x.n > 0)
        .sort((a, b) => b.n - a.n)[0]?.s;
  if (lijkt) {
    verslag.fout(bestand, 1, lijkt.kenmerk, `De kolom '${lijkt.kenmerk}' ontbreekt in de kopregel; de andere antwoordkolommen zijn die van ${lijkt.naam || lijkt.code}. Zet die kolom terug (per rij het soort antwoord) — neem de kopregel ongewijzigd over uit de download.`);
    return;
  }
  if (gevonden.length !== 1) {
    verslag.fout(bestand, 1, null, gevonden.length > 1
      ? `De kopregel heeft kolommen van meer dan één soort bestand (${gevonden.map((s) => s.kenmerk).join(", ")}): zet saldoverzoek antwoorden, betaalvoorstel antwoorden en statusverzoeken elk in een eigen bestand.`
      : "Onbekend soort bestand: de kopregel moet de kolom 'antwoord.saldoverzoek' (saldoverzoek antwoorden), 'antwoord.betaalvoorstel' (betaalvoorstel antwoorden), 'antwoord.berichttype' (antwoorden in kennisgevingen.csv en in een map <module>-<versie>/ van de download) of 'ontvanger' (statusverzoeken en andere nieuwe berichten) hebben. Gebruik het bestand uit de download of een sjabloon van deze pagina." +
        (namen.has("berichttype") ? " Dit lijkt een downloadbestand van berichten die niet via een upload beantwoord worden (alleen kennisgevingen, saldoverzoeken en betaalvoorstellen hebben antwoordkolommen)." : ""));
    return;
  }
  const soort = gevonden[0];
  bestand.soort = soort;
  // Columns: the known ones (any case), each once; unknown answer columns are an error.
  const bekend = new Map(soort.kolommen.map((k) => [k.toLowerCase(), k]));
  const indexen = new Map();
  let goed = true;
  kop.forEach((k, i) => {
    const canon = bekend.get(k.toLowerCase());
    if (canon) {
      if (indexen.has(canon)) {
        verslag.fout(bestand, 1, k, `De kolom '${k}' staat twee keer in de kopregel.`);
        goed = false;
      }
      indexen.set(canon, i);
    } else if (k.toLowerCase().startsWith("antwoord.") || (!soort.antwoordkolom && k)) {
      verslag.fout(bestand, 1, k, `De kolom '${k}' is onbekend in een bestand met ${soort.naam}. Zie de kolommen van het gedownloade bestand.`);
      goed = false;
    }
  });
  for (const verplicht of [soort.kenmerk, ...soort.sleutels]) {
    if (!indexen.has(verplicht)) {
      verslag.fout(bestand, 1, verplicht, `De verplichte kolom '${verplicht}' ontbreekt in de kopregel.`);
      goed = false;
    }
  }
  if (!goed) return;
  const rijen = leesRijen(bestand, kop, records, indexen, verslag);
  leesBerichten(bestand, soort, rijen, verslag);
}

function leesRijen(bestand, kop, records, indexen, verslag) {
  const rijen = [];
  for (let r = 1; r < records.length; r++) {
    const record = records[r];
    if (!record.some((c) => c.trim())) continue;
    if (record.length > kop.length && record.slice(kop.length).some((c) => c.trim())) {
      verslag.fout(bestand, r + 1, null, `Deze rij heeft ${record.length} cellen, de kopregel ${kop.length}: staat er een puntkomma (;) in een cel zonder aanhalingstekens?`);
      continue;
    }
    const rij = {};
    for (const [k, i] of indexen) rij[k] = leesCel(record[i] ?? "");
    rijen.push([r + 1, rij]);
  }
  bestand.rijen = rijen.length;
  return rijen;
}

function normaal(w) {
  return w.toLowerCase().replace(/[_-]/g, " ").split(/\s+/).filter(Boolean).join(" ");
}

// One message per row, or per group of rows with the same referentienummer (a saldoverzoek answer
// with a debt per row); its payload from the columns' fields, validated against its JSON Schema.
function leesBerichten(bestand, soort, rijen, verslag) {
  const groepen = new Map();
  rijen.forEach(([nummer, rij]) => {
    if (!soort.antwoordkolommen.some((k) => rij[k])) {
      bestand.overgeslagen++;
      return;
    }
    const sleutel = soort.groeperen ? (rij.referentienummer || "").toLowerCase() || `rij${nummer}` : `rij${nummer}`;
    if (!groepen.has(sleutel)) groepen.set(sleutel, []);
    groepen.get(sleutel).push([nummer, rij]);
  });
  const gezien = new Map();
  for (const groep of groepen.values()) {
    const bericht = leesGroep(bestand, soort, groep, verslag);
    if (!bericht) continue;
    if (bericht.crossReferentienummer && gezien.has(bericht.crossReferentienummer)) {
      verslag.fout(bestand, bericht.rijen[0], "referentienummer", `Deze vraag wordt al beantwoord op rij ${gezien.get(bericht.crossReferentienummer)}: één antwoord per vraag.`);
      continue;
    }
    if (bericht.crossReferentienummer) gezien.set(bericht.crossReferentienummer, bericht.rijen[0]);
    verslag.berichten.push(bericht);
    bestand.berichten++;
  }
}

function leesGroep(bestand, soort, groep, verslag) {
  const voor = verslag.fouten.length;
  const eerste = groep[0][0];
  const lijst = soort.lijst;
  // Answer-level cells: once, or the same on every row of the group.
  const w = {};
  const herkomst = {};
  for (const [nummer, rij] of groep) {
    for (const [k, v] of Object.entries(rij)) {
      if (!v || (lijst && k.startsWith(lijst.prefix))) continue;
      if (!(k in w)) {
        w[k] = v;
        herkomst[k] = nummer;
      } else if (w[k] !== v) {
        verslag.fout(bestand, nummer, k, `'${v}' wijkt af van rij ${herkomst[k]} ('${w[k]}'), met hetzelfde referentienummer: een antwoord heeft één waarde per kolom buiten ${lijst.prefix}*.`);
      }
    }
  }
  const rijVan = (k) => herkomst[k] ?? eerste;
  // Which answer.
  let berichttype;
  if (soort.antwoordkolom) {
    const keuze = w[soort.antwoordkolom] || "";
    berichttype = soort.antwoorden[normaal(keuze)];
    if (!berichttype) {
      verslag.fout(bestand, rijVan(soort.antwoordkolom), soort.antwoordkolom,
        (keuze ? `'${keuze}' is geen geldig antwoord` : "Het soort antwoord ontbreekt") + ": vul " +
        Object.keys(soort.antwoorden).map((a) => `'${a}'`).join(", ") + " in.");
      return null;
    }
  } else {
    berichttype = soort.antwoorden[""];
  }
  const type = soort.typen[berichttype];
  // The envelope.
  const uuidUit = (k) => {
    const v = w[k] || "";
    if (!v) verslag.fout(bestand, rijVan(k), k, `'${k}' is leeg; neem het over uit het gedownloade bestand.`);
    else if (!UUID.test(v)) verslag.fout(bestand, rijVan(k), k, `'${v}' is geen geldig ${k} (een UUID zoals in de download).`);
    else return v.toLowerCase();
    return null;
  };
  const envelop = {
    module: soort.module,
    versie: soort.versie,
    berichttype,
    conversatieReferentienummer: uuidUit("conversatieReferentienummer"),
    crossReferentienummer: soort.envelopkolommen.includes("referentienummer") ? uuidUit("referentienummer") : null,
    ontvanger: "",
  };
  if (soort.envelopkolommen.includes("ontvanger")) {
    const oin = w.ontvanger || "";
    if (!/^\d{20}$/.test(oin)) {
      verslag.fout(bestand, rijVan("ontvanger"), "ontvanger", `'${oin}' is geen OIN: vul het Organisatie-identificatienummer (20 cijfers) van de ontvanger in, zoals in het adresboek.`);
    }
    envelop.ontvanger = oin;
  }
  // The payload: every filled column's field, typed by the schema; a field the answer does not have
  // is an error (e.g. a debt on 'klant onbekend').
  const payload = {};
  const plaatsen = new Map(); // payload path → [row, column]
  // Cells that could not be read: the row is judged on without them (every error at once, 18.3c),
  // and their fields are then not also reported missing.
  const mislukt = new Set();
  for (const [k, v] of Object.entries(w)) {
    const pad = soort.velden[k];
    if (pad === undefined || !v) continue;
    const s = schemaVan(type.schema, pad);
    if (!s) {
      verslag.fout(bestand, rijVan(k), k, `Dit hoort niet bij '${type.naam}'; laat het leeg bij dit antwoord.`);
      continue;
    }
    try {
      zet(payload, pad, waarde(soortVan(s), v, k));
      plaatsen.set(pad.replace(/\./g, "/"), [rijVan(k), k]);
    } catch (fout) {
      verslag.fout(bestand, rijVan(k), k, fout.message);
      mislukt.add(`/${pad.replace(/\./g, "/")}`);
    }
  }
  if (lijst) {
    const items = [];
    for (const [nummer, rij] of groep) {
      const kolommen = Object.keys(rij).filter((k) => k.startsWith(lijst.prefix) && rij[k]);
      if (!kolommen.length) continue;
      const item = {};
      const index = items.length;
      for (const k of kolommen) {
        const pad = soort.velden[k];
        const s = schemaVan(type.schema, pad);
        if (!s) {
          verslag.fout(bestand, nummer, k, `Dit hoort niet bij '${type.naam}'; laat het leeg bij dit antwoord.`);
          continue;
        }
        try {
          zet(item, pad.split("[].")[1], waarde(soortVan(s), rij[k], k));
          plaatsen.set(`${lijst.pad}/${index}/${pad.split("[].")[1].replace(/\./g, "/")}`, [nummer, k]);
        } catch (fout) {
          verslag.fout(bestand, nummer, k, fout.message);
          mislukt.add(`/${lijst.pad}/${index}/${pad.split("[].")[1].replace(/\./g, "/")}`);
        }
      }
      plaatsen.set(`${lijst.pad}/${index}`, [nummer, kolommen[0]]);
      items.push(item);
    }
    if (items.length) payload[lijst.pad] = items;
  }
  for (const [pad, vast] of Object.entries(soort.vast[berichttype] || {})) {
    const ouder = pad.split(".").slice(0, -1).reduce((o, d) => (o ? o[d] : undefined), payload);
    if (ouder && typeof ouder === "object") ouder[pad.split(".").pop()] = vast;
  }
  const alFout = verslag.fouten.length > voor;
  // The JSON Schema of the payload (the hub publishes the same) and the checks it cannot express
  // (controles.js) — both, so that a row shows every error at once (18.3c) —, every error at its cell.
  const uitslag = validator(soort, berichttype).validate(payload);
  const schema = uitslag.valid
    ? []
    : schemafouten(uitslag.errors, payload).filter((f) => !(f.soort === "required" && mislukt.has(f.pad)));
  let controles = [];
  try {
    controles = controleer(payload, type.schema, berichttype).map((f) => ({ pad: alsPointer(f.veld), reden: f.reden, veld: f.veld }));
  } catch {
    controles = []; // a payload the schema refused may not be checkable further; its errors stand
  }
  const gemeld = new Set(schema.map((f) => f.pad));
  const fouten = [...schema, ...controles.filter((f) => !gemeld.has(f.pad) && !mislukt.has(f.pad))];
  if (!fouten.length && alFout) return null;
  if (fouten.length) {
    const kenmerk = soort.antwoordkolom || soort.sleutels[soort.sleutels.length - 1];
    for (const fout of fouten) {
      let [rij, kolom] = [rijVan(kenmerk), kenmerk];
      let eigen = false; // the error's own column: it names the field, the reason need not
      const stukken = fout.pad.split("/").filter(Boolean);
      for (let n = stukken.length; n > 0; n--) {
        const p = plaatsen.get(stukken.slice(0, n).join("/"));
        if (p) {
          [rij, kolom] = p;
          eigen = n === stukken.length;
          break;
        }
        const kandidaat = Object.entries(soort.velden).find(([, v]) => v.replace(/\[\]/g, "").replace(/\./g, "/") === stukken.slice(0, n).filter((d) => !/^\d+$/.test(d)).join("/"));
        if (kandidaat && !/^\d+$/.test(stukken[n - 1] ?? "")) {
          const item = stukken.find((d) => /^\d+$/.test(d));
          rij = item !== undefined && lijst ? (plaatsen.get(`${lijst.pad}/${item}`) || [eerste])[0] : rijVan(kandidaat[0]);
          kolom = kandidaat[0];
          eigen = n === stukken.length;
          break;
        }
      }
      // A check of controles.js placed elsewhere (a block, the row's kenmerk): say which field.
      // A check's dates as dd-mm-jjjj, as the server's upload and forms say them
      // (csvindeling.reden_bij_kolom); a JSON Schema error says the form it wants (jjjj-mm-dd).
      const reden = fout.veld ? nlDatums(fout.reden) : fout.reden;
      verslag.fout(bestand, rij, kolom, fout.veld && !eigen ? `${reden} (${fout.veld})` : reden);
    }
    return null;
  }
  return { bestand, rijen: groep.map(([n]) => n), envelop, payload, type };
}

// The choices of a column as a clerk reads them (formulier.keuzes): each code with its words,
// "pro_forma_afgegeven (pro-formaborgstelling afgegeven)"; a code that is its own word once.
export function keuzes(opties) {
  return opties
    .map(([code, tekst]) => {
      const woorden = tekst.startsWith(`${code} – `) ? tekst.slice(code.length + 3) : tekst;
      return woorden.toLowerCase() === code.toLowerCase() ? code : `${code} (${woorden.charAt(0).toLowerCase()}${woorden.slice(1)})`;
    })
    .join(", ");
}

const validators = new Map();
function validator(soort, berichttype) {
  return schemaValidator(soort.typen[berichttype].schema);
}

function schemaValidator(schema) {
  const sleutel = schema.$id || JSON.stringify(schema);
  if (!validators.has(sleutel)) validators.set(sleutel, new Validator(schema, "2020-12", false));
  return validators.get(sleutel);
}

// "vorderingen[0].hoofdsom" (a payload error's field, as Python names it) as "/vorderingen/0/hoofdsom".
function alsPointer(veld) {
  return "/" + veld.replace(/\[(\d+)\]/g, ".$1").split(".").filter(Boolean).join("/");
}

const CONTAINERS = new Set(["properties", "$ref", "anyOf", "oneOf", "allOf", "items", "prefixItems", "if", "additionalItems", "unevaluatedProperties"]);

// An anyOf whose every branch failed only because it requires one field ("telefoon of email is
// verplicht bij een contactpersoon"): the required errors of its branches, by the anyOf's error;
// one error for all of them, not one per field as if each were required.
function eenVanFouten(fouten) {
  const groepen = new Map();
  for (const f of fouten) {
    if (f.keyword !== "anyOf") continue;
    const onder = fouten.filter((e) => e.instanceLocation === f.instanceLocation && e.keywordLocation.startsWith(`${f.keywordLocation}/`));
    const takken = onder.filter((e) => /^\/\d+\/required$/.test(e.keywordLocation.slice(f.keywordLocation.length)));
    if (takken.length >= 2 && takken.length === onder.length) groepen.set(f, takken);
  }
  return groepen;
}

// JSON Schema formats as people write them.
// The form a field with a pattern of its own must have, said when a value does not fit it.
const PATROONVELDEN = {
  postcode: "een Nederlandse postcode als 1234 AB",
  postcodeGebied: "de vier cijfers van een Nederlandse postcode, bijvoorbeeld 3511",
  bsn: "9 cijfers",
  iban: "een IBAN zonder spaties, bijvoorbeeld NL91ABNA0417164300",
};

const VORMEN = {
  date: "een datum als jjjj-mm-dd",
  "date-time": "een datum en tijd als jjjj-mm-ddTuu:mm:ss+01:00",
  email: "een e-mailadres",
  uuid: "een UUID",
  uri: "een internetadres",
};

// cfworker's errors as Dutch sentences at a payload path (only the leaves; a nullable field's
// "Expected null" branch is not a reason — unless nothing else failed: then the field is one that
// must stay empty here, as an if/then rule of the schema says, e.g. overgedragenAan unless the
// schuldtype is overgedragen). Each error: {pad (JSON pointer), reden, soort (the JSON Schema
// keyword, or "eenVan": one of `velden` in the block at `blok` must be filled in)}.
export function schemafouten(fouten, payload, { metVeld = true } = {}) {
  const uit = [];
  const gezien = new Set();
  const leegTeLaten = [];
  const eenVan = eenVanFouten(fouten);
  const inEenVan = new Set([...eenVan.values()].flat());
  for (const f of fouten) {
    if (eenVan.has(f)) {
      const blok = String(f.instanceLocation || "").replace(/^#/, "");
      const velden = eenVan.get(f).map((e) => /"([^"]+)"/.exec(e.error)?.[1] ?? "");
      const voor = blok.split("/").filter((d) => d && !/^\d+$/.test(d));
      const namen = velden.map((v) => [...voor, v].join("."));
      const reden = `Verplicht: ${velden.length === 2 ? velden.join(" of ") : `minstens één van ${velden.join(", ")}`} ontbreekt; vul er één in.` + (metVeld ? ` (${namen.join(" of ")})` : "");
      uit.push({ pad: `${blok}/${velden[0]}`, reden, soort: "eenVan", blok, velden });
      continue;
    }
    if (CONTAINERS.has(f.keyword) || inEenVan.has(f)) continue;
    if (/Expected "null"/.test(f.error)) {
      leegTeLaten.push(f);
      continue;
    }
    let pad = String(f.instanceLocation || "").replace(/^#/, "");
    const waardeOp = pad.split("/").filter(Boolean).reduce((o, d) => (o == null ? undefined : o[d]), payload);
    let reden;
    const toon = waardeOp === undefined || typeof waardeOp === "object" ? "" : `'${waardeOp}' `;
    switch (f.keyword) {
      case "required": {
        const veld = /"([^"]+)"/.exec(f.error)?.[1] ?? "";
        pad = `${pad}/${veld}`;
        reden = `Verplicht: ${veld} ontbreekt; vul het in.`;
        break;
      }
      case "additionalProperties":
      case "false":
        reden = "Dit veld hoort niet bij dit antwoord; laat het leeg.";
        break;
      case "type":
        reden = `${toon}heeft niet het juiste soort waarde (${/Expected "([^"]+)"/.exec(f.error)?.[1] ?? ""}).`;
        break;
      case "pattern":
      case "format": {
        const vorm = f.keyword === "format" ? /format "?([\w-]+)/.exec(f.error)?.[1] : undefined;
        const naam = pad.split("/").filter((d) => d && !/^\d+$/.test(d)).pop();
        const uitleg = vorm ? (VORMEN[vorm] ?? vorm) : PATROONVELDEN[naam];
        reden = `${toon}heeft niet de juiste vorm${uitleg ? ` (${uitleg})` : ""}.`;
        break;
      }
      case "minimum":
      case "exclusiveMinimum":
        reden = `${toon}is te klein.`;
        break;
      case "maximum":
      case "exclusiveMaximum":
        reden = `${toon}is te groot.`;
        break;
      case "minLength":
        reden = `${toon}is te kort.`;
        break;
      case "maxLength":
        reden = `${toon}is te lang.`;
        break;
      case "minItems":
        reden = "Er ontbreken regels in deze lijst.";
        break;
      case "enum":
      case "const": {
        // cfworker names the allowed values: 'Instance does not match any of ["a","b"].'
        const lijst = /match (?:any of )?(\[.*\]|".*"|\S+)\.$/.exec(f.error)?.[1];
        let keuzes = [];
        try {
          keuzes = lijst === undefined ? [] : [JSON.parse(lijst)].flat();
        } catch {
          keuzes = [];
        }
        const namen = keuzes.filter((k) => k !== null).map((k) => `'${k}'`);
        reden = `${toon}is geen toegestane waarde` + (namen.length ? `; kies ${namen.length === 1 ? namen[0] : `uit ${namen.join(", ")}`}.` : ".");
        break;
      }
      default:
        reden = `De inhoud voldoet niet aan het schema (${f.keyword}).`;
    }
    const velden = pad.split("/").filter((d) => d && !/^\d+$/.test(d));
    reden = reden.charAt(0).toUpperCase() + reden.slice(1) + (metVeld && velden.length ? ` (${velden.join(".")})` : "");
    if (gezien.has(pad + reden)) continue;
    gezien.add(pad + reden);
    uit.push({ pad, reden, soort: f.keyword });
  }
  if (!uit.length) {
    // The deepest only: a nullable list or block around the field fails its own null branch too.
    const paden = leegTeLaten.map((f) => String(f.instanceLocation || "").replace(/^#/, ""));
    for (const pad of paden) {
      if (paden.some((ander) => ander.startsWith(pad + "/"))) continue;
      const velden = pad.split("/").filter((d) => d && !/^\d+$/.test(d));
      const reden = "Dit veld hoort hier niet bij (het schema van dit bericht laat het leeg); laat het leeg." + (metVeld && velden.length ? ` (${velden.join(".")})` : "");
      if (gezien.has(pad + reden)) continue;
      gezien.add(pad + reden);
      uit.push({ pad, reden });
    }
  }
  if (!uit.length) uit.push({ pad: "", reden: "De inhoud voldoet niet aan het schema van dit bericht." });
  return uit;
}

// --- the generic files of every module (portaal/csvmodules.py) ----------------------------------------
//
// A file with the column antwoord.berichttype answers questions of any module and version (the file of
// the download, one row one answer, in the question's module and version); a file with the columns
// module and ontvanger holds messages the participant starts itself. Which answers a question has,
// the columns of each type and its JSON Schema come from GET …/indelingen (indeling.generiek).

// "vorderingen.7.hoofdsom" → "vorderingen.#.hoofdsom" (the layout's column templates).
export function sjabloon(kolom) {
  return kolom.split(".").map((d) => (/^\d+$/.test(d) ? "#" : d)).join(".");
}

function hoofdletter(tekst) {
  return tekst.charAt(0).toUpperCase() + tekst.slice(1);
}

// csvindeling.waarde: a cell as the payload value of its column; throws a Dutch sentence (without
// its full stop, as Python's Omzetfout) when it cannot be one.
export function celwaarde(kolom, tekst) {
  const t = tekst.trim();
  switch (kolom.soort) {
    case "bedrag":
      if (/^[0-9]+$/.test(t)) return Number(t);
      throw new Error(`'${t}' is geen bedrag in hele eurocenten: schrijf alleen cijfers, zonder punt, komma, spatie of €-teken (12345 is € 123,45)`);
    case "geheel": {
      const g = t.replace(/ /g, "");
      if (/^-?[0-9]+$/.test(g)) return Number(g);
      throw new Error("moet een geheel getal zijn, zonder punt of komma");
    }
    case "getal": {
      const g = t.replace(/ /g, "").replace(/%/g, "").replace(/,/g, ".");
      if (/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(g) && Number.isFinite(Number(g))) return Number(g);
      throw new Error("is geen getal; schrijf bijvoorbeeld 30 of 12,5");
    }
    case "datum": {
      const nl = /^([0-9]{1,2})[-/.]([0-9]{1,2})[-/.]([0-9]{4})$/.exec(t);
      if (!nl) return t;
      const [d, m, j] = [Number(nl[1]), Number(nl[2]), Number(nl[3])];
      const datum = new Date(Date.UTC(j, m - 1, d));
      datum.setUTCFullYear(j);
      if (j < 1 || datum.getUTCDate() !== d || datum.getUTCMonth() !== m - 1) throw new Error(`${t} is geen bestaande datum`);
      return `${String(j).padStart(4, "0")}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
    }
    case "janee": {
      const k = t.toLowerCase();
      if (["ja", "j", "true", "waar", "1"].includes(k)) return true;
      if (["nee", "n", "false", "onwaar", "0"].includes(k)) return false;
      throw new Error(`'${t}' is geen ja of nee`);
    }
    case "keuze": {
      for (const [code, label] of kolom.opties) if ([code.toLowerCase(), label.toLowerCase()].includes(t.toLowerCase())) return code;
      throw new Error(`'${t}' is geen geldige keuze; schrijf een van deze codes: ${keuzes(kolom.opties)}`);
    }
    default:
      return normaliseerVeld(kolom.naam.split(".").pop(), t);
  }
}

// csvindeling.zet and als_lijsten: a value at a dotted column path, numbered parts list items (in
// order, gaps closed).
function zetKolom(doel, pad, w) {
  const delen = pad.split(".");
  let huidig = doel;
  delen.forEach((deel, i) => {
    if (i === delen.length - 1) huidig[deel] = w;
    else {
      if (!(deel in huidig)) huidig[deel] = /^\d+$/.test(delen[i + 1]) ? { "#": true } : {};
      huidig = huidig[deel];
    }
  });
}

function alsLijsten(w) {
  if (w && typeof w === "object") {
    if (w["#"] === true) {
      return Object.keys(w).filter((k) => /^\d+$/.test(k)).sort((a, b) => Number(a) - Number(b)).map((k) => alsLijsten(w[k]));
    }
    return Object.fromEntries(Object.entries(w).map(([k, v]) => [k, alsLijsten(v)]));
  }
  return w;
}

// The defaults pydantic's model_dump puts in for the fields left out (an empty factuurnummers; per
// block by its $defs name, "#" the payload itself: indeling's "standaard"): the answer's number covers
// the payload as validated (antwoordnummers.py, csvimport._canoniek).
export function metStandaard(payload, schema, standaard) {
  const vul = (w, s, naam) => {
    for (let n = 0; n < 10 && s && (s.$ref || ((s.anyOf || s.oneOf) && !s.properties)); n++) {
      if (s.$ref) {
        naam = s.$ref.split("/").pop();
        s = s.$ref.split("/").slice(1).reduce((o, d) => (o ? o[d] : undefined), schema);
      } else s = (s.anyOf || s.oneOf).find((k) => k.type === "object" || k.type === "array" || k.$ref) || null;
    }
    if (!s) return;
    if (Array.isArray(w)) {
      w.forEach((x) => vul(x, s.items, null));
      return;
    }
    if (!w || typeof w !== "object") return;
    for (const [k, d] of Object.entries((naam && standaard[naam]) || {})) if (!(k in w)) w[k] = JSON.parse(JSON.stringify(d));
    for (const [k, eigen] of Object.entries(s.properties || {})) if (k in w) vul(w[k], eigen, null);
  };
  vul(payload, schema, "#");
  return payload;
}

// csvindeling.kolom_van_pad: "vorderingen[0].hoofdsom" → "vorderingen.1.hoofdsom".
export function kolomVanPad(veld) {
  const uit = [];
  for (const deel of veld.replace(/\]/g, "").split(".")) {
    const [naam, index] = deel.split("[");
    uit.push(naam);
    if (index !== undefined && /^\d+$/.test(index)) uit.push(String(Number(index) + 1));
  }
  return uit.filter(Boolean).join(".");
}

// csvmodules._plaats: the cell of a payload error.
function plaatsVan(rij, prefix, kenmerk, veld) {
  let kolom = kolomVanPad(veld);
  while (kolom) {
    if (prefix + kolom in rij) return prefix + kolom;
    const binnen = Object.keys(rij).find((k) => k.startsWith(`${prefix}${kolom}.`));
    if (binnen) return binnen;
    kolom = kolom.includes(".") ? kolom.slice(0, kolom.lastIndexOf(".")) : "";
  }
  return kenmerk;
}

// Cellen.uuid: a UUID as Python's uuid.UUID reads it, lower case; null (and an error) otherwise.
function leesUuid(fout, kolom, w) {
  if (!w) {
    fout(kolom, `'${kolom}' is leeg; neem het over uit het gedownloade bestand.`);
    return null;
  }
  const hex = w.trim().replace(/^urn:uuid:/i, "").replace(/^\{|\}$/g, "").replace(/-/g, "");
  if (!/^[0-9a-f]{32}$/i.test(hex)) {
    fout(kolom, `'${w}' is geen geldig ${kolom} (een UUID zoals in de download).`);
    return null;
  }
  const h = hex.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function kaalAntwoord(tekst) {
  return tekst.toLowerCase().replace(/[_()]/g, " ").split(/\s+/).filter(Boolean).join(" ");
}

// The payload of a row (csvmodules._payload_uit): every filled column of the type (the columns that
// match its templates, however many list items the file has), typed as its column says.
function payloadUit(type, rij, prefix, fout) {
  const perSjabloon = new Map(type.kolommen.map((k) => [k.naam, k]));
  const ruw = {};
  for (const [kolom, tekst] of Object.entries(rij)) {
    if (!kolom.startsWith(prefix) || !tekst) continue;
    const naam = kolom.slice(prefix.length);
    const k = perSjabloon.get(sjabloon(naam));
    if (!k || k.soort === "bijlage") continue;
    try {
      zetKolom(ruw, naam, celwaarde(k, tekst));
    } catch (e) {
      fout(kolom, `${hoofdletter(e.message)}.`);
    }
  }
  return alsLijsten(ruw);
}

// JSON Schema and controles.js, both (every error at once, 18.3c); every error at its cell as
// csvmodules reports it.
function valideerGeneriek(type, payload, rij, prefix, kenmerk, standaard, fout) {
  const uitslag = schemaValidator(type.schema).validate(payload);
  const schema = uitslag.valid
    ? []
    : schemafouten(uitslag.errors, payload, { metVeld: false }).map((f) => ({ veld: padVanPointer(f.pad), reden: f.reden }));
  let controles = [];
  try {
    controles = controleer(payload, type.schema, type.code);
  } catch {
    controles = []; // a payload the schema refused may not be checkable further; its errors stand
  }
  const gemeld = new Set(schema.map((f) => f.veld));
  const fouten = [...schema, ...controles.filter((f) => !gemeld.has(f.veld))];
  for (const f of fouten) fout(plaatsVan(rij, prefix, kenmerk, f.veld), `${f.reden} (${kolomVanPad(f.veld) || standaard})`);
  return !fouten.length;
}

function padVanPointer(pointer) {
  let t = "";
  for (const d of pointer.split("/").filter(Boolean)) t += /^\d+$/.test(d) ? `[${d}]` : t ? `.${d}` : d;
  return t;
}

async function leesGeneriek(bestand, soort, kop, records, verslag) {
  const generiek = indeling.generiek;
  const beschrijving = generiek[soort];
  bestand.soort = { code: soort };
  // csvimport._alle_kolommen: every column (which a row may fill is checked per row).
  const indexen = new Map();
  let goed = true;
  kop.forEach((k, i) => {
    if (!k) return;
    if (indexen.has(k)) {
      verslag.fout(bestand, 1, k, `De kolom '${k}' staat twee keer in de kopregel.`);
      goed = false;
    } else indexen.set(k, i);
  });
  for (const verplicht of [beschrijving.kenmerk, ...beschrijving.sleutels]) {
    if (!indexen.has(verplicht)) {
      verslag.fout(bestand, 1, verplicht, `De verplichte kolom '${verplicht}' ontbreekt in de kopregel.`);
      goed = false;
    }
  }
  if (!goed) return;
  const rijen = leesRijen(bestand, kop, records, indexen, verslag);
  if (soort === "antwoord") generiekeAntwoorden(bestand, rijen, verslag);
  else await generiekeStarts(bestand, rijen, verslag);
}

// csvmodules.antwoorden: one answer per row, to the question the row names.
function generiekeAntwoorden(bestand, rijen, verslag) {
  const { vragen, typen, antwoord: beschrijving } = indeling.generiek;
  const prefix = beschrijving.prefix;
  const kenmerk = beschrijving.kenmerk;
  const gezien = new Map();
  const onbekendGemeld = new Set();
  for (const [nummer, rij] of rijen) {
    if (!Object.entries(rij).some(([k, v]) => k.startsWith(prefix) && v)) {
      bestand.overgeslagen++;
      continue;
    }
    const voor = verslag.fouten.length;
    const fout = (kolom, reden) => verslag.fout(bestand, nummer, kolom, reden);
    const [module, versie, vraag] = [rij.module || "", rij.versie || "", rij.berichttype || ""];
    const v = module && versie ? vragen[`${module}|${versie}|${vraag}`] : undefined;
    if (!v) {
      fout("berichttype", `'${module}' '${versie}' '${vraag}' is geen bericht uit de catalogus: laat de kolommen module, versie en berichttype staan zoals in het gedownloade bestand.`);
      continue;
    }
    if (!v.antwoorden.length) {
      fout(kenmerk, `Een ${v.naam} wordt niet beantwoord; laat de kolommen antwoord.* leeg.`);
      continue;
    }
    const keuze = rij[kenmerk] || "";
    const gekozen = v.antwoorden.find((t) => [kaalAntwoord(t.code), kaalAntwoord(t.naam)].includes(kaalAntwoord(keuze)));
    if (!gekozen) {
      fout(kenmerk, (keuze ? `'${keuze}' is geen antwoord op een ${v.naam}` : "Het antwoord ontbreekt") + ": vul een van deze in: " + v.antwoorden.map((t) => `'${t.naam}'`).join(", ") + ".");
      continue;
    }
    const ref = leesUuid(fout, "referentienummer", rij.referentienummer || "");
    const conversatie = leesUuid(fout, "conversatieReferentienummer", rij.conversatieReferentienummer || "");
    if (ref === null || conversatie === null) continue;
    if (gezien.has(ref)) {
      fout("referentienummer", `Dit bericht wordt al beantwoord op rij ${gezien.get(ref)}: één antwoord per rij en per vraag.`);
      continue;
    }
    gezien.set(ref, nummer);
    const type = typen[`${module}|${versie}|${gekozen.code}`];
    const eigen = new Set(type.kolommen.map((k) => prefix + k.naam));
    const mogelijk = new Set(v.kolommen);
    for (const [kolom, w] of Object.entries(rij)) {
      if (!kolom.startsWith(prefix) || !w || kolom === kenmerk || eigen.has(sjabloon(kolom))) continue;
      if (mogelijk.has(sjabloon(kolom))) fout(kolom, `Dit hoort niet bij '${gekozen.naam}'; laat het leeg bij dit antwoord.`);
      else if (!onbekendGemeld.has(kolom)) {
        onbekendGemeld.add(kolom);
        fout(kolom, `De kolom '${kolom}' is onbekend bij een ${v.naam}; zie de kolommen van het gedownloade bestand.`);
      }
    }
    const payload = payloadUit(type, rij, prefix, fout);
    // csvmodules._neem_over: the fields the answer shares with its question, from the question's columns —
    // only those the answer requires (klantnummerSHV, a case's kenmerk): an optional field of the same
    // name may belong to one kind of answer only (a gebeurtenis' proFormaBorgstelling).
    const verplicht = new Set(type.schema?.required || []);
    for (const k of type.kolommen) {
      if (k.naam.includes(".") || k.naam in payload || !["tekst", "keuze"].includes(k.soort) || !verplicht.has(k.naam)) continue;
      if (rij[k.naam]) payload[k.naam] = rij[k.naam];
    }
    if (!valideerGeneriek(type, payload, rij, prefix, kenmerk, "antwoord", fout) || verslag.fouten.length > voor) continue;
    verslag.berichten.push({
      bestand,
      rijen: [nummer],
      envelop: { module, versie, berichttype: gekozen.code, conversatieReferentienummer: conversatie, crossReferentienummer: ref, ontvanger: "" },
      payload: metStandaard(payload, type.schema, type.standaard),
      type,
    });
    bestand.berichten++;
  }
}

const versiesVan = new Map(); // "oin|module" → the recipient's versions (null: not reachable)

async function ontvangerVersies(oin, module) {
  const sleutel = `${oin}|${module}`;
  if (!versiesVan.has(sleutel)) {
    let versies = null;
    try {
      versies = (await api(`/verzenden/ontvanger?oin=${encodeURIComponent(oin)}&module=${encodeURIComponent(module)}`)).versies || null;
    } catch {
      versies = null; // the dry run says why the recipient cannot be reached
    }
    versiesVan.set(sleutel, versies);
  }
  return versiesVan.get(sleutel);
}

function versieVolgorde(a, b) {
  const x = a.split(".").map(Number);
  const y = b.split(".").map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] || 0) !== (y[i] || 0)) return (y[i] || 0) - (x[i] || 0);
  return 0;
}

// csvmodules.starten and kies_versies: messages the participant starts, one per row; an empty versie
// is the highest version of the module both parties accept.
async function generiekeStarts(bestand, rijen, verslag) {
  const { starten, typen, modules, start: beschrijving } = indeling.generiek;
  for (const [nummer, rij] of rijen) {
    const voor = verslag.fouten.length;
    const fout = (kolom, reden) => verslag.fout(bestand, nummer, kolom, reden);
    const [module, code] = [rij.module || "", rij.berichttype || ""];
    let versie = rij.versie || "";
    const versies = starten[`${module}|${code}`] || [];
    if (!versies.length || (versie && !versies.includes(versie))) {
      fout("berichttype", `'${module}' '${code}'${versie ? ` versie ${versie}` : ""} is geen bericht dat u zelf begint; gebruik een sjabloon van deze pagina.`);
      continue;
    }
    const ontvanger = rij.ontvanger || "";
    const oinGoed = /^[0-9]{20}$/.test(ontvanger);
    if (!oinGoed) {
      fout("ontvanger", `'${ontvanger}' is geen OIN: vul het Organisatie-identificatienummer (20 cijfers) van de ontvanger in, zoals in het adresboek en in de kolom 'afzender' van de download.`);
    }
    const conversatie = leesUuid(fout, "conversatieReferentienummer", rij.conversatieReferentienummer || "");
    if (!versie) {
      const andere = oinGoed ? await ontvangerVersies(ontvanger, module) : null;
      const gemeen = andere ? modules[module].versies.filter((x) => andere.includes(x)).sort(versieVolgorde) : [];
      versie = gemeen.length ? gemeen[0] : [...versies].sort(versieVolgorde)[0];
      if (!versies.includes(versie)) {
        fout("berichttype", `Een ${typen[`${module}|${versies[0]}|${code}`].naamKlein} bestaat niet in versie ${versie}, de hoogste versie van ${modules[module].naam} die u en de ontvanger allebei gebruiken.`);
        continue;
      }
    }
    const type = typen[`${module}|${versie}|${code}`];
    const payload = payloadUit(type, rij, "", fout);
    if (!valideerGeneriek(type, payload, rij, "", beschrijving.sleutels[0], "inhoud", fout) || conversatie === null || verslag.fouten.length > voor) continue;
    verslag.berichten.push({
      bestand,
      rijen: [nummer],
      envelop: { module, versie, berichttype: code, conversatieReferentienummer: conversatie, crossReferentienummer: null, ontvanger },
      payload: metStandaard(payload, type.schema, type.standaard),
      type,
    });
    bestand.berichten++;
  }
}

// --- the flow --------------------------------------------------------------------------------------

function toonFouten(fouten) {
  const lijst = $("upload-foutenlijst");
  lijst.replaceChildren();
  for (const f of fouten) {
    const tr = document.createElement("tr");
    cel(tr, f.bestand);
    cel(tr, f.rij == null ? "" : String(f.rij));
    cel(tr, f.kolom ? (f.letter ? `${f.letter} (${f.kolom})` : f.kolom) : "");
    cel(tr, f.reden);
    lijst.appendChild(tr);
  }
  $("upload-fouten-kop").textContent = `Er is niets verstuurd: ${fouten.length} ${fouten.length === 1 ? "fout" : "fouten"} gevonden (art. 18.3c)`;
  $("upload-fouten").hidden = !fouten.length;
}

function regel(lijst, tekst) {
  const li = document.createElement("li");
  li.textContent = tekst;
  lijst.appendChild(li);
}

function voortgang(waarde, max, tekst) {
  const balk = $("upload-voortgang");
  balk.hidden = false;
  balk.max = Math.max(1, max);
  balk.value = waarde;
  $("upload-stap").textContent = tekst;
}

const KOLOM_VAN_VELD = { crossReferentienummer: "referentienummer", conversatieReferentienummer: "conversatieReferentienummer", ontvanger: "ontvanger", versie: "referentienummer" };

export async function upload(files) {
  const tijden = { begin: performance.now() };
  $("upload-fouten").hidden = true;
  $("upload-uitslag").hidden = true;
  if (!files.length) throw new Error("Kies eerst een of meer .csv-bestanden.");
  const nummers = geheim("nummergeheim");
  const teken = tekensleutel();
  if (!nummers || !teken) throw new Error("Ontgrendel eerst uw sleutels: het nummergeheim of de ondertekeningssleutel ontbreekt.");
  if (!indeling) indeling = await api("/verzenden/indelingen");
  versiesVan.clear();
  // 1. Read and validate every file, every row; all errors at once.
  voortgang(0, 1, "Bestanden lezen en controleren…");
  const verslag = new Verslag();
  for (const file of files) await leesBestand(file, verslag);
  tijden.gelezen = performance.now();
  // 2. Number: the same question and answer always get the same number.
  const dag = vandaag();
  const eerder = new Map();
  const berichten = [];
  for (let i = 0; i < verslag.berichten.length; i += 500) {
    const blok = verslag.berichten.slice(i, i + 500);
    const nrs = await Promise.all(
      blok.map((b) =>
        uuid8(nummers.sleutel, canoniek([
          VERSIE, b.envelop.module, b.envelop.versie, b.envelop.berichttype, b.envelop.conversatieReferentienummer,
          b.envelop.crossReferentienummer || "", b.envelop.crossReferentienummer ? "" : b.envelop.ontvanger,
          b.envelop.crossReferentienummer ? "" : dag, b.payload,
        ])),
      ),
    );
    blok.forEach((b, j) => {
      b.envelop.referentienummer = nrs[j];
      const al = eerder.get(nrs[j]);
      if (al) {
        verslag.fout(b.bestand, b.rijen[0], b.envelop.crossReferentienummer ? "referentienummer" : "conversatieReferentienummer", `Dit is hetzelfde bericht als op rij ${al.rijen[0]} van ${al.bestand.naam}: het wordt maar één keer verstuurd. Haal de dubbele rij weg.`);
        return;
      }
      eerder.set(nrs[j], b);
      berichten.push(b);
    });
  }
  tijden.genummerd = performance.now();
  // 3. The hub's dry run on the envelopes (no content): refusals, and what was sent before.
  if (berichten.length) {
    voortgang(0, 1, "Proef bij het knooppunt…");
    const proef = { berichten: [] };
    for (let i = 0; i < berichten.length; i += indeling.maxProef) {
      const stuk = berichten.slice(i, i + indeling.maxProef).map((b) => b.envelop);
      proef.berichten.push(...(await api("/verzenden/proef", { methode: "POST", body: { berichten: stuk } })).berichten);
    }
    proef.berichten.forEach((u, i) => {
      const b = berichten[i];
      if (u.alVerzondenOp) {
        b.alVerzondenOp = u.alVerzondenOp;
        b.bestand.berichten--;
        b.bestand.alVerzonden++;
      } else if (!u.ok) {
        const kolom = KOLOM_VAN_VELD[u.veld] || (b.envelop.crossReferentienummer ? "referentienummer" : "conversatieReferentienummer");
        verslag.fout(b.bestand, b.rijen[0], kolom, `${u.melding}${u.code ? ` (${u.code})` : ""}`);
      } else {
        if (u.ontvanger) b.envelop.ontvanger = u.ontvanger;
        b.bevestigt = Boolean(u.bevestigt);
      }
    });
  }
  tijden.proef = performance.now();
  if (verslag.fouten.length) {
    toonFouten(verslag.fouten);
    status(`Er is niets verstuurd: ${meervoud(verslag.fouten.length, "fout", "fouten")}. Verbeter ${verslag.fouten.length === 1 ? "die" : "ze"} en upload de bestanden opnieuw.`);
    $("upload-voortgang").hidden = true;
    $("upload-stap").textContent = "";
    return { verstuurd: 0, fouten: verslag.fouten, tijden };
  }
  const nieuw = berichten.filter((b) => !b.alVerzondenOp);
  // 4. The recipients' certificates: imported once each. A young one (DESIGN §5 key transparency)
  // stops the upload until the user confirms it: nothing is sealed for a key nobody looked at.
  const waarschuwingen = [];
  const jongeKids = [];
  const certs = new Map();
  for (const oin of new Set(nieuw.map((b) => b.envelop.ontvanger))) {
    const o = await api(`/verzenden/ontvanger?oin=${encodeURIComponent(oin)}&module=${encodeURIComponent(nieuw.find((b) => b.envelop.ontvanger === oin).envelop.module)}`);
    certs.set(oin, o.versleuteling);
    await ontvangersleutel(o.versleuteling);
    if (o.versleuteling.jong) {
      jongeKids.push(o.versleuteling.kid);
      waarschuwingen.push(`Het versleutelingscertificaat van ${o.naam} (${oin}) is ${leeftijd(o.versleuteling.leeftijdDagen)} (jonger dan ${meervoud(o.jongDagen, "dag", "dagen")}; vingerafdruk ${o.versleuteling.kid}): controleer bij twijfel bij de ontvanger of de sleutel van hem is.`);
    }
  }
  const lijstJong = $("upload-waarschuwingen");
  if (jongeKids.some((kid) => !bevestigdeKids.has(kid)) || (jongeKids.length && !$("upload-jong-akkoord").checked)) {
    lijstJong.replaceChildren();
    for (const w of waarschuwingen) regel(lijstJong, w);
    getoondeKids = new Set(jongeKids);
    bevestigdeKids = new Set();
    $("upload-jong-akkoord").checked = false;
    $("upload-jong").hidden = false;
    $("upload-voortgang").hidden = true;
    $("upload-stap").textContent = "";
    status("Er is nog niets verstuurd: controleer de waarschuwing over een nieuw certificaat, vink aan en verstuur opnieuw.");
    return { verstuurd: 0, fouten: [], waarschuwingen, tijden };
  }
  $("upload-jong").hidden = true;
  // 5. Seal every message (sign, then encrypt) and submit in parts of ≤ 1,000 (and within the
  // server's request size), each part all or nothing.
  const iat = Math.floor(Date.now() / 1000);
  const uitslag = { verstuurd: 0, bevestigd: 0, delen: 0 };
  let deel = [];
  let deelBytes = 0;
  tijden.zegelen = 0;
  tijden.versturen = 0;
  // One part in flight while the next is sealed (the server admits, the page seals: two processes).
  const verstuurDeel = async (deel) => {
    if (!deel.length) return true;
    const t = performance.now();
    let antwoord;
    try {
      antwoord = await api("/verzenden", { methode: "POST", body: { berichten: deel.map((d) => d.envelop) } });
    } catch (fout) {
      const per = fout.gegevens && fout.gegevens.berichten;
      for (const u of per || []) {
        const b = deel[u.index].bericht;
        if (u.code && u.code !== "NIET_VERSTUURD") verslag.fout(b.bestand, b.rijen[0], "referentienummer", `${u.melding} (${u.code})`);
      }
      if (!verslag.fouten.length) verslag.fout(deel[0].bericht.bestand, null, null, `Het versturen is afgebroken: ${fout.message}`);
      return false;
    } finally {
      tijden.versturen += performance.now() - t;
    }
    uitslag.delen++;
    for (const u of antwoord.berichten) {
      if (u.status === 201) {
        uitslag.verstuurd++;
        if (deel[u.index].bericht.bevestigt) uitslag.bevestigd++;
      }
    }
    return true;
  };
  let onderweg = Promise.resolve(true);
  const volgende = async () => {
    const klaar = deel;
    deel = [];
    deelBytes = 0;
    if (!(await onderweg)) return false;
    onderweg = verstuurDeel(klaar);
    return true;
  };
  for (let i = 0; i < nieuw.length; i += ZEGELBLOK) {
    const blok = nieuw.slice(i, i + ZEGELBLOK);
    const t = performance.now();
    const jwes = await Promise.all(blok.map((b) => zegel(JSON.stringify(b.payload), b.envelop, { afzender: instellingen.oin, ontvanger: certs.get(b.envelop.ontvanger), teken, iat })));
    tijden.zegelen += performance.now() - t;
    for (let j = 0; j < blok.length; j++) {
      const envelop = { ...blok[j].envelop, crossReferentienummer: blok[j].envelop.crossReferentienummer || null, inhoud: jwes[j] };
      const grootte = jwes[j].length + 400;
      if (deel.length >= indeling.maxDeel || (deel.length && deelBytes + grootte > indeling.maxVerzoek)) {
        if (!(await volgende())) return afgebroken(verslag, uitslag, tijden);
      }
      deel.push({ envelop, bericht: blok[j] });
      deelBytes += grootte;
    }
    voortgang(i + blok.length, nieuw.length, `Ondertekenen, versleutelen en versturen: ${i + blok.length} van ${nieuw.length}`);
  }
  if (!(await volgende()) || !(await onderweg)) return afgebroken(verslag, uitslag, tijden);
  tijden.klaar = performance.now();
  // 6. The result, per file.
  const lijst = $("upload-uitslaglijst");
  lijst.replaceChildren();
  const alVerzonden = berichten.length - nieuw.length;
  regel(lijst, `Verstuurd: ${meervoud(uitslag.verstuurd, "bericht", "berichten")} in ${meervoud(uitslag.delen, "deel", "delen")}.`);
  regel(lijst, `Al eerder verstuurd en nu overgeslagen: ${alVerzonden}.`);
  regel(lijst, `Onderweg bevestigd (beantwoorde vragen die nog niet bevestigd waren): ${uitslag.bevestigd}.`);
  for (const b of verslag.bestanden) {
    regel(
      lijst,
      `${b.naam}: ${meervoud(b.rijen, "rij", "rijen")}, ${meervoud(b.berichten, "nieuw bericht", "nieuwe berichten")}, ` +
        `${b.alVerzonden} al verzonden, ${meervoud(b.overgeslagen, "rij", "rijen")} zonder antwoord overgeslagen.`,
    );
  }
  for (const b of berichten.filter((x) => x.alVerzondenOp)) {
    regel(lijst, `Al verzonden op ${tijdstip(b.alVerzondenOp)}: ${b.bestand.naam} rij ${b.rijen.join(", ")}.`);
  }
  for (const w of waarschuwingen) regel(lijst, `Versleuteld voor een nieuw certificaat dat u hebt bevestigd: ${w}`);
  $("upload-uitslag").hidden = false;
  $("upload-voortgang").hidden = true;
  $("upload-stap").textContent = "";
  status(`Upload verwerkt: ${uitslag.verstuurd} verstuurd, ${alVerzonden} al eerder verstuurd.`);
  return { ...uitslag, alVerzonden, fouten: [], tijden };
}

function afgebroken(verslag, uitslag, tijden) {
  toonFouten(verslag.fouten);
  $("upload-voortgang").hidden = true;
  status(`Het versturen is afgebroken na ${uitslag.verstuurd} berichten. Upload dezelfde bestanden opnieuw: wat al verstuurd is, wordt overgeslagen en de rest alsnog verstuurd.`);
  return { ...uitslag, fouten: verslag.fouten, tijden };
}

onderdeel("Uploaden", {
  start() {
    $("upload-jong-akkoord").addEventListener("change", (e) => {
      bevestigdeKids = e.target.checked ? new Set(getoondeKids) : new Set();
    });
    $("upload-formulier").addEventListener("submit", async (e) => {
      e.preventDefault();
      const knop = $("upload-knop");
      knop.disabled = true;
      try {
        const r = await upload(Array.from($("upload-bestanden").files));
        document.body.dataset.uploadTijden = JSON.stringify(r.tijden);
      } catch (fout) {
        $("upload-fouten").hidden = true;
        melding(`Uploaden: ${fout.message}`);
      } finally {
        knop.disabled = false;
      }
    });
  },
  ontgrendeld() {
    // Come from the menu's "Antwoorden uploaden" (/portaal/sleutels#uploaden): there once unlocked.
    if (location.hash === "#uploaden") $("uploaden-kop").focus();
  },
});

// formulier._normaliseer: the forms people type that the standard writes one way only — a postcode
// without its space ("3011aa" → "3011 AA"), an IBAN with spaces, a BSN with dots. For a CSV cell
// here and a typed field in the werkplek's form (opstellen.js) alike.
export function normaliseerVeld(naam, t) {
  if (naam === "postcode") {
    const compact = t.replace(/ /g, "").toUpperCase();
    return compact.length === 6 ? `${compact.slice(0, 4)} ${compact.slice(4)}` : t;
  }
  if (naam === "iban") return t.replace(/ /g, "").toUpperCase();
  if (naam === "bsn") return t.replace(/ /g, "").replace(/\./g, "");
  return t;
}
