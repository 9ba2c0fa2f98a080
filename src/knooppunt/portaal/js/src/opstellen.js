// Composing a message in the werkplek (DESIGN §5 "Portal", §7): the form is the server's own form
// description (formulier.sjabloon, from the payload's JSON Schema — the same one the hosted
// compose pages are made from), rendered here as DOM elements; the fields become the payload in
// this page, are checked against the JSON Schema, sealed for each recipient's current certificate
// (with a warning, to be confirmed, when that certificate is young: key transparency) and
// submitted through the same endpoint as an upload's parts. The server sees the envelope only.
//
// Beyond a new message, as the hosted compose (routes/opstellen.py) offers it:
// - an answer to a message opened in this page ("Beantwoorden"): the answer types the catalogue
//   allows for it (GET …/opstellen/antwoorden), recipient = its sender, its conversation, and
//   crossReferentienummer = its number; the fields both payloads share are filled in from the
//   opened message (in this page only);
// - a PDF attachment (a form's "bijlage" field): read here, at most 1 MB and a real PDF (the same
//   Dutch errors as the hosted compose), put into the payload as base64 and sealed with it;
// - a reminder, offered only for an own open question whose answer term has passed
//   (GET …/opstellen/herinneringen);
// - one message to several creditors: per creditor the hub's dry run on the envelope shows what it
//   would refuse, before anything is sealed; the rest is sent only after the user confirms.

import { Validator } from "@cfworker/json-schema";
import { normaliseerVeld, schemafouten } from "./uploaden.js";
import { afzenderFout, bsnPaden, controleer as controleerInhoud, inWoorden, nlDatums } from "./controles.js";
import { zegel, ontvangersleutel, tekensleutel } from "./zegelen.js";
import { $, api, instellingen, leeftijd, meervoud, melding, onderdeel, status, cel, tijdstip, toonTabel } from "./werkplek.js";
import { clientnaam, noemUitBerichten } from "./clienten.js";

export const MAX_BIJLAGE = 1024 * 1024; // a document in a payload: at most 1 MB (routes/opstellen.py)
export const MAX_ONTVANGERS = 25; // recipients of one message, as the hosted compose allows
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let typen = []; // the types this participant starts itself
let eigenRol = ""; // the participant's role (GET …/verzenden/opstellen): for the module rules that depend on it
let keuzes = []; // the types the choice offers now: the start types, or those of `verband`
let gekozen = null;
// What the message is bound to: null for a new message, else {soort: "antwoord" | "herinnering",
// tekst, ontvanger, conversatie, cross, vooraf (payload fields to fill in)}.
let verband = null;
const bevestigd = new Set(); // kids of young certificates the user confirmed
let jongGetoond = new Set(); // kids named in the warning shown now
let nummers = new Map(); // recipient → referentienummer for this form: checking twice sends nothing twice
let nieuweConversatie = null;
let wachtend = null; // the checked messages waiting for the user's confirmation
let verstuurd = false; // this form was sent: unchanged, checking it again sends nothing twice

function maak(tag, eigenschappen = {}, tekst) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(eigenschappen)) {
    if (v !== undefined && v !== null) el.setAttribute(k, v);
  }
  if (tekst !== undefined) el.textContent = tekst;
  return el;
}

const INVOERTYPE = { email: "email", telefoon: "tel", datum: "date", geheel: "text", getal: "text", bedrag: "text", tekst: "text" };

// The JSON Schema of the chosen type at a payload path ("contactpersoonSHV", "vorderingen.0"): $ref
// resolved, a nullable field's null branch left out (as formulier._los_op reads it).
function schemaOp(pad) {
  const wortel = gekozen.schema;
  const los = (s) => {
    for (let i = 0; s && i < 32; i++) {
      if (s.$ref) {
        const { $ref, ...rest } = s;
        s = { ...(wortel.$defs ?? {})[$ref.split("/").pop()], ...rest };
      } else if (s.anyOf && !s.properties && s.anyOf.filter((t) => t.type !== "null").length === 1) {
        const { anyOf, ...rest } = s;
        s = { ...anyOf.find((t) => t.type !== "null"), ...rest };
      } else break;
    }
    return s ?? {};
  };
  let s = los(wortel);
  for (const deel of pad.split(".").filter(Boolean)) s = los(/^\d+$/.test(deel) ? s.items : s.properties?.[deel]);
  return s;
}

// The fields of a block of which at least one must be filled in: an anyOf whose branches each only
// require one field (a contact person's telefoon or email, "telefoon of email is verplicht bij een
// contactpersoon"). The form shows them as "one of these", not as optional.
function eenVan(schema) {
  const takken = schema.anyOf ?? [];
  if (takken.length < 2 || !takken.every((t) => Array.isArray(t.required) && t.required.length === 1)) return [];
  return takken.map((t) => t.required[0]);
}

// "E-mailadres" → "e-mailadres" inside a sentence; "BSN" and "IBAN" stay as they are.
function klein(tekst) {
  return tekst.length > 1 && tekst[1] === tekst[1].toUpperCase() && tekst[1] !== tekst[1].toLowerCase() ? tekst : tekst.charAt(0).toLowerCase() + tekst.slice(1);
}

function opsomming(delen) {
  return delen.length < 2 ? delen.join("") : `${delen.slice(0, -1).join(", ")} of ${delen[delen.length - 1]}`;
}

// A field's name in an error: its label, after the blocks around it ("Contactpersoon
// schuldhulpverlening – Naam", "Vorderingen 2 – Hoofdsom"): never its internal path.
function volledigeNaam(plek, label) {
  return [...plek, label].filter(Boolean).join(" – ");
}

function veld(sj, pad, ouder, plek = []) {
  if (sj.soort === "groep") {
    const doel = sj.naam ? maak("fieldset", { class: "groep", id: `opstel-${pad.replace(/\./g, "-")}` }) : ouder;
    const binnen = sj.naam ? [...plek, sj.label] : plek;
    if (sj.naam) {
      doel.appendChild(maak("legend", {}, sj.label + (sj.verplicht ? "" : " (optioneel)")));
      doel.dataset.groep = pad;
      doel.dataset.verplicht = sj.verplicht ? "ja" : "nee";
      doel.dataset.naam = volledigeNaam(plek, sj.label);
      ouder.appendChild(doel);
    }
    for (const kind of sj.kinderen) veld(kind, pad ? `${pad}.${kind.naam}` : kind.naam, doel, binnen);
    // A block of its own, or a list's row (whose fieldset the list made).
    if (sj.naam || (pad && doel.dataset.groep === pad)) markeerEenVan(doel, pad, sj);
    return;
  }
  if (sj.soort === "lijst") {
    const fs = maak("fieldset", { class: "lijst", "data-lijst": pad, id: `opstel-${pad.replace(/\./g, "-")}` });
    fs.appendChild(maak("legend", {}, sj.label));
    fs.dataset.naam = volledigeNaam(plek, sj.label);
    const rijen = maak("div");
    fs.appendChild(rijen);
    const rij = () => {
      const i = rijen.children.length;
      const r = maak("fieldset", { class: "rij", id: `opstel-${pad.replace(/\./g, "-")}-${i}` });
      r.appendChild(maak("legend", {}, `${sj.label} ${i + 1}`));
      r.dataset.groep = `${pad}.${i}`;
      r.dataset.naam = volledigeNaam(plek, `${sj.label} ${i + 1}`);
      rijen.appendChild(r);
      veld({ ...sj.kinderen[0], naam: "", label: "" }, `${pad}.${i}`, r, [...plek, `${sj.label} ${i + 1}`]);
    };
    for (let i = 0; i < Math.max(1, sj.minItems); i++) rij();
    const knop = maak("button", { type: "button", class: "knop secundair" }, "Rij toevoegen");
    knop.addEventListener("click", () => {
      if (rijen.children.length < sj.maxItems) rij();
    });
    fs.appendChild(knop);
    ouder.appendChild(fs);
    return;
  }
  // A document's name and media type: filled from the chosen PDF (leesPayload), never typed.
  if (sj.verborgen) return;
  const id = `opstel-${pad.replace(/\./g, "-")}`;
  const p = maak("p");
  if (sj.suggesties && sj.suggesties.length) {
    codeMetKeuze(sj, pad, ouder, plek, id);
    return;
  }
  if (sj.soort === "bijlage") {
    // A PDF, read in this page only when the message is checked (bijlage below).
    p.appendChild(maak("label", { for: id }, "PDF-document" + (sj.verplicht ? "" : " (optioneel)")));
    p.appendChild(maak("span", { class: "hint", id: `${id}-hint` }, "Een PDF-document van hoogstens 1 MB."));
    const invoer = maak("input", { id, type: "file", accept: "application/pdf,.pdf", "aria-describedby": `${id}-hint` });
    invoer.dataset.pad = pad;
    invoer.dataset.soort = "bijlage";
    invoer.dataset.label = "PDF-document";
    invoer.dataset.naam = volledigeNaam(plek, "PDF-document");
    invoer.dataset.beschrijving = `${id}-hint`;
    p.appendChild(invoer);
    ouder.appendChild(p);
    return;
  }
  // An item of a list of values has no label of its own: the row's ("Factuurnummers 2").
  const eigen = sj.label || sj.naam;
  const label = eigen || plek[plek.length - 1] || "";
  p.appendChild(maak("label", { for: id }, label + (sj.verplicht ? "" : " (optioneel)") + (sj.soort === "bedrag" ? " (in euro)" : "")));
  p.appendChild(maak("br"));
  // The field's hint where the server's form has one (formulier.Veld.hint: where it is, e.g. the
  // codes an einde_bewind's reden may have), never a hint to type a code at a choice.
  const hint = sj.soort === "bedrag" ? null : sj.hint;
  if (hint) {
    p.appendChild(maak("span", { class: "hint", id: `${id}-hint` }, hint));
    p.appendChild(maak("br"));
  }
  let invoer;
  if (sj.soort === "keuze" || sj.soort === "janee") {
    invoer = maak("select", { id });
    invoer.appendChild(maak("option", { value: "" }, "—"));
    const opties = sj.soort === "janee" ? [["ja", "Ja"], ["nee", "Nee"]] : sj.opties; // words from formulier.OPTIES
    for (const [code, tekst] of opties) invoer.appendChild(maak("option", { value: code }, tekst));
  } else if (sj.soort === "tekstvak") {
    invoer = maak("textarea", { id, rows: "4", maxlength: sj.maxLengte });
  } else {
    invoer = maak("input", { id, type: INVOERTYPE[sj.soort] || "text", maxlength: sj.maxLengte, autocomplete: "off" });
  }
  invoer.dataset.pad = pad;
  invoer.dataset.soort = sj.soort;
  invoer.dataset.verplicht = sj.verplicht ? "ja" : "nee";
  invoer.dataset.label = label;
  invoer.dataset.naam = eigen ? volledigeNaam(plek, eigen) : volledigeNaam(plek.slice(0, -1), label);
  invoer.dataset.beschrijving = hint ? `${id}-hint` : "";
  if (hint) invoer.setAttribute("aria-describedby", `${id}-hint`);
  p.appendChild(invoer);
  ouder.appendChild(p);
}

export const ANDERS = "__anders__"; // formulier.ANDERS: "Een andere reden", typed in the field beside

// A free code with documented codes (formulier.SUGGESTIES: einde_bewind's reden): a choice of those
// codes in words, and "Een andere reden" with a text field for another code, as the hosted form.
function codeMetKeuze(sj, pad, ouder, plek, id) {
  const p = maak("p");
  p.appendChild(maak("label", { for: id }, sj.label + (sj.verplicht ? "" : " (optioneel)")));
  p.appendChild(maak("br"));
  const keuze = maak("select", { id });
  keuze.appendChild(maak("option", { value: "" }, "—"));
  for (const [code, tekst] of sj.suggesties) keuze.appendChild(maak("option", { value: code }, tekst));
  keuze.appendChild(maak("option", { value: ANDERS }, "Een andere reden (hieronder invullen)"));
  keuze.dataset.pad = pad;
  keuze.dataset.soort = sj.soort;
  keuze.dataset.verplicht = sj.verplicht ? "ja" : "nee";
  keuze.dataset.label = sj.label;
  keuze.dataset.naam = volledigeNaam(plek, sj.label);
  keuze.dataset.beschrijving = "";
  keuze.dataset.anders = `${id}-anders`;
  p.appendChild(keuze);
  ouder.appendChild(p);
  const q = maak("p");
  q.appendChild(maak("label", { for: `${id}-anders` }, "Andere reden (alleen bij ‘Een andere reden’)"));
  q.appendChild(maak("br"));
  q.appendChild(maak("span", { class: "hint", id: `${id}-anders-hint` }, sj.andersHint || ""));
  q.appendChild(maak("br"));
  q.appendChild(maak("input", { id: `${id}-anders`, type: "text", maxlength: sj.maxLengte, autocomplete: "off", "aria-describedby": `${id}-anders-hint` }));
  ouder.appendChild(q);
}

/** The code a field with suggestions gives: the one chosen, or the other code typed beside it. */
export function gekozenCode(keuze, anders) {
  return keuze === ANDERS || keuze === "" ? anders.trim() : keuze;
}

// A block with fields of which one must be filled in (eenVan): they are not "(optioneel)" but
// "Telefoonnummer (of e-mailadres)", with one hint for the block that says so.
function markeerEenVan(fieldset, pad, sj) {
  const namen = eenVan(schemaOp(pad));
  const velden = namen.map((n) => fieldset.querySelector(`[data-pad="${pad}.${n}"]`));
  if (namen.length < 2 || velden.some((el) => !el)) return;
  const labels = velden.map((el) => el.dataset.label);
  const hint = maak(
    "p",
    { class: "hint", id: `${fieldset.id}-eenvan` },
    `Vul ${opsomming(labels.map(klein))} in${sj.verplicht ? "" : " als u dit blok invult"}; ${namen.length === 2 ? "één van beide" : "minstens één daarvan"} is ${sj.verplicht ? "" : "dan "}verplicht.`,
  );
  fieldset.querySelector("legend").after(hint);
  velden.forEach((el, i) => {
    const andere = labels.filter((_, j) => j !== i).map(klein);
    fieldset.querySelector(`label[for="${el.id}"]`).textContent = `${labels[i]} (of ${opsomming(andere)})`;
    el.dataset.beschrijving = hint.id;
    el.setAttribute("aria-describedby", hint.id);
  });
}

const MAX_BESTANDSNAAM = 200; // velden.PdfDocument's bestandsnaam
const NIET_AFDRUKBAAR = /[\p{C}\p{Zl}\p{Zp}]|(?! )\p{Zs}/u; // Python's str.isprintable() is false

/** A chosen file's name as the payload's bestandsnaam, as routes/opstellen.py `bestandsnaam` makes
 * it: without a folder or control characters, at most 200 characters with its extension kept. */
export function bestandsnaam(naam) {
  const kaal = [...naam.replaceAll("\\", "/").split("/").pop()].map((c) => (NIET_AFDRUKBAAR.test(c) ? " " : c)).join("").trim() || "document.pdf";
  const tekens = [...kaal];
  if (tekens.length <= MAX_BESTANDSNAAM) return kaal;
  const punt = kaal.lastIndexOf(".");
  const ext = punt >= 0 ? [...kaal.slice(punt + 1)].slice(0, 10).join("") : "";
  const stam = [...(punt >= 0 ? kaal.slice(0, punt) : kaal)].slice(0, MAX_BESTANDSNAAM - [...ext].length - 1).join("").trimEnd();
  return stam + (ext ? `.${ext}` : "");
}

function base64(bytes) {
  let tekst = "";
  for (let i = 0; i < bytes.length; i += 0x8000) tekst += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(tekst);
}

/** A chosen PDF as base64, checked as the hosted compose checks it (routes/opstellen.py). */
export async function bijlage(bestand) {
  if (bestand.size > MAX_BIJLAGE) throw new Error("is groter dan 1 MB; verklein het document");
  const bytes = new Uint8Array(await bestand.arrayBuffer());
  const kop = [0x25, 0x50, 0x44, 0x46, 0x2d]; // "%PDF-"
  if (bytes.length < kop.length || kop.some((b, i) => bytes[i] !== b)) throw new Error("is geen PDF-document");
  return base64(bytes);
}

export function waarde(soort, t, naam = "") {
  t = normaliseerVeld(naam, soort === "tekst" ? t.split(/\s+/).filter(Boolean).join(" ") : t);
  if (soort === "bedrag") {
    let k = t.replace(/[€\s]/g, "");
    if (k.includes(",")) k = k.replace(/\./g, "").replace(",", ".");
    if (!/^\d+(\.\d{1,2})?$/.test(k)) throw new Error(`'${t}' is geen bedrag in euro (bijvoorbeeld 123,45)`);
    return Math.round(Number(k) * 100);
  }
  if (soort === "geheel") {
    if (!/^\d+$/.test(t)) throw new Error(`'${t}' is geen geheel getal`);
    return Number(t);
  }
  if (soort === "getal") {
    const n = Number(t.replace(",", "."));
    if (!Number.isFinite(n)) throw new Error(`'${t}' is geen getal`);
    return n;
  }
  if (soort === "janee") return t === "ja";
  return t;
}

// The other way round: a payload value as the field shows it (to fill in an answer's form).
function alsTekst(soort, w) {
  if (soort === "bedrag" && Number.isInteger(w)) return (w / 100).toFixed(2).replace(".", ",");
  if (soort === "janee" && typeof w === "boolean") return w ? "ja" : "nee";
  if (typeof w === "string" || typeof w === "number") return String(w);
  return null;
}

function lees(bron, pad) {
  let huidig = bron;
  for (const deel of pad.split(".")) {
    if (huidig === null || typeof huidig !== "object" || !(deel in huidig)) return undefined;
    huidig = huidig[deel];
  }
  return huidig;
}

function zet(doel, pad, w) {
  const delen = pad.split(".");
  let huidig = doel;
  delen.forEach((deel, i) => {
    if (i === delen.length - 1) {
      huidig[deel] = w;
      return;
    }
    if (!(deel in huidig)) huidig[deel] = /^\d+$/.test(delen[i + 1]) ? [] : {};
    huidig = huidig[deel];
  });
}

function compact(x) {
  if (Array.isArray(x)) return x.filter((v) => v !== undefined).map(compact);
  if (x && typeof x === "object") return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, compact(v)]));
  return x;
}

// An error for the list above the button (`tekst`) and, when it is about fields, beside them
// (`uitleg` at `bij`, the fields marked invalid and described by it).
function veldfout(tekst, velden = [], { bij = velden[0] ?? null, uitleg = tekst } = {}) {
  return { tekst, velden, bij, uitleg };
}

function wisVeldfouten() {
  const formulier = $("opstel-formulier");
  for (const el of formulier.querySelectorAll(".veldfout")) el.remove();
  for (const el of formulier.querySelectorAll("[aria-invalid]")) {
    el.removeAttribute("aria-invalid");
    if (el.dataset.beschrijving) el.setAttribute("aria-describedby", el.dataset.beschrijving);
    else el.removeAttribute("aria-describedby");
  }
}

function toonVeldfout({ velden, bij, uitleg }) {
  const id = `${bij.id}-fout`;
  let tekst = document.getElementById(id);
  if (tekst) {
    tekst.textContent += ` ${uitleg}`;
  } else {
    tekst = maak("span", { class: "veldfout", id }, uitleg);
    // In a block: under its legend and hint; at a field: between its label and the field.
    if (bij.tagName === "FIELDSET") (bij.querySelector(":scope > .hint") ?? bij.querySelector(":scope > legend")).after(tekst);
    else bij.before(tekst);
  }
  for (const el of velden) {
    el.setAttribute("aria-invalid", "true");
    el.setAttribute("aria-describedby", [el.dataset.beschrijving, id].filter(Boolean).join(" "));
  }
}

/** Show the errors (strings, or `veldfout`s): the list, and each beside its fields. */
function toonFouten(fouten) {
  wisVeldfouten();
  const lijst = $("opstel-fouten");
  lijst.replaceChildren();
  for (const f of fouten) {
    const fout = typeof f === "string" ? veldfout(f) : f;
    lijst.appendChild(maak("li", {}, fout.tekst));
    if (fout.bij) toonVeldfout(fout);
  }
  lijst.hidden = !fouten.length;
}

// --- the choice of type and what the message is bound to ------------------------------------------

function nieuwFormulier() {
  nummers = new Map();
  nieuweConversatie = null;
  verstuurd = false;
  wachtend = null;
  $("opstel-voorbeeld").hidden = true;
  $("opstel-voorbeeld-lijst").replaceChildren();
  $("opstel-jong").hidden = true;
  $("opstel-waarschuwing").textContent = "";
  toonFouten([]);
}

function kiesType() {
  gekozen = keuzes[Number($("opstel-type").value)] || null;
  if ($("opstel-type").value === "") gekozen = null;
  const plek = $("opstel-velden");
  plek.replaceChildren();
  nieuwFormulier();
  if (gekozen) {
    veld(gekozen.formulier, "", plek);
    if (verband && verband.vooraf) vulIn(verband.vooraf);
  }
  $("opstel-formulier").hidden = !gekozen;
}

function toonKeuzes(lijst) {
  keuzes = lijst;
  const keuze = $("opstel-type");
  keuze.replaceChildren(maak("option", { value: "" }, "— kies een soort bericht —"));
  lijst.forEach((t, i) => keuze.appendChild(maak("option", { value: String(i) }, `${t.naam} (${t.modulenaam} ${t.versie})`)));
  keuze.value = lijst.length === 1 ? "0" : "";
  kiesType();
}

// What an answer takes over from the message it answers: who the client is (never the question's
// own remarks or contact person) ...
const OVERNEMEN = new Set(["klantnummerSHV", "klantnummerSE", "klantnummerSEVolgensSHV", "klant", "partner", "adres"]);

// ... and, as the upload does (csvmodules._neem_over), every required top-level text or choice the
// answer shares with its question: a case's kenmerk (waarborgfonds), klantnummerBW (bewind), ….
function overTeNemen(el) {
  if (OVERNEMEN.has(el.dataset.pad.split(".")[0])) return true;
  return !el.dataset.pad.includes(".") && el.dataset.verplicht === "ja" && ["tekst", "keuze"].includes(el.dataset.soort);
}

/** The empty client fields of the form that have a value at the same place in `bron`. */
function vulIn(bron) {
  for (const el of $("opstel-velden").querySelectorAll("[data-pad]")) {
    if (el.type === "file" || el.value.trim() || !overTeNemen(el)) continue;
    const tekst = alsTekst(el.dataset.soort, lees(bron, el.dataset.pad));
    if (tekst !== null) el.value = tekst;
  }
}

function bind(nieuw) {
  verband = nieuw;
  const vast = verband !== null;
  $("opstel-verband").hidden = !vast;
  $("opstel-verband-tekst").textContent = vast ? verband.tekst : "";
  for (const id of ["opstel-ontvanger", "opstel-conversatie"]) $(id).readOnly = vast;
  $("opstel-ontvanger").value = vast ? verband.ontvanger : "";
  $("opstel-conversatie").value = vast ? verband.conversatie : "";
  $("opstel-traject-regel").hidden = vast;
  $("opstel-zoeken").hidden = vast;
  $("opstel-uitslag").textContent = "";
}

function toonOpstellen() {
  $("opstellen").hidden = false;
  $("opstellen-kop").focus();
}

function antwoordtypen(env) {
  return api(
    `/opstellen/antwoorden?module=${encodeURIComponent(env.module)}&versie=${encodeURIComponent(env.versie)}&berichttype=${encodeURIComponent(env.berichttype)}`,
  );
}

/** Answer a message opened in this page: `env` its envelope, `payload` its content (JSON text);
 * `r` the answer types when they were fetched already. */
export async function beantwoord(env, payload, r) {
  melding("");
  r = r || (await antwoordtypen(env));
  if (!r.typen.length) {
    melding(r.melding);
    return;
  }
  let vooraf = null;
  try {
    vooraf = JSON.parse(payload);
  } catch {
    vooraf = null; // not JSON: nothing to fill in
  }
  const afzender = env.afzenderNaam || env.afzender;
  bind({
    soort: "antwoord",
    tekst: `Antwoord op ${env.berichttypeNaam || env.berichttype} van ${afzender} (referentienummer ${env.referentienummer}), in conversatie ${env.conversatieReferentienummer}. Het antwoord gaat naar ${afzender}.`,
    ontvanger: env.afzender,
    conversatie: env.conversatieReferentienummer,
    cross: env.referentienummer,
    vooraf,
  });
  toonKeuzes(r.typen);
  toonOpstellen();
  status(`Stel uw antwoord op ${env.berichttypeNaam || env.berichttype} hieronder op.`);
}

let geopend = 0; // the message opened last: an earlier one's answer types come too late

/** The "Beantwoorden" button of the message opened in main.js: only when the catalogue has an
 * answer to it that this participant sends (none for a hub notice, or for null). */
export function toonAntwoordknop(env, payload) {
  const oud = $("bericht-beantwoorden");
  if (oud) oud.remove();
  const dit = ++geopend;
  if (!env || env.melding) return;
  antwoordtypen(env)
    .then((r) => {
      if (dit !== geopend || !r.typen.length) return;
      const knop = maak("button", { type: "button", id: "bericht-beantwoorden", class: "knop" }, "Beantwoorden");
      knop.addEventListener("click", async () => {
        knop.disabled = true;
        try {
          await beantwoord(env, payload, r);
        } catch (fout) {
          melding(`Beantwoorden: ${fout.message}`);
        } finally {
          knop.disabled = false;
        }
      });
      $("bericht-inhoud").after(knop);
    })
    .catch((fout) => melding(`Beantwoorden: ${fout.message}`));
}

function annuleer() {
  bind(null);
  toonKeuzes(typen);
}

// --- reminders ---------------------------------------------------------------------------------------

let herinneringstypen = {};

async function laadHerinneringen() {
  const r = await api("/opstellen/herinneringen");
  $("herinneringen").hidden = !r.kanHerinneren;
  herinneringstypen = r.typen;
  const lijst = $("herinneringen-lijst");
  lijst.replaceChildren();
  for (const v of r.vragen) {
    const rij = maak("tr");
    rij.dataset.referentienummer = v.referentienummer;
    cel(rij, v.berichttypeNaam);
    cel(rij, v.ontvangerNaam);
    cel(rij, clientnaam(v.conversatieReferentienummer) || `Traject ${v.conversatieReferentienummer.slice(0, 8)}`);
    cel(rij, tijdstip(v.verstuurdOp));
    cel(rij, v.antwoordUiterlijk ? tijdstip(v.antwoordUiterlijk) : "—");
    const actie = cel(rij, "");
    if (v.kanHerinneren) {
      const knop = maak("button", { type: "button", class: "knop", "aria-label": `Herinnering opstellen: ${v.berichttypeNaam} aan ${v.ontvangerNaam} van ${tijdstip(v.verstuurdOp)}` }, "Herinnering opstellen");
      knop.dataset.referentienummer = v.referentienummer;
      knop.addEventListener("click", () => herinner(v));
      actie.appendChild(knop);
    } else {
      actie.textContent = v.antwoordUiterlijk
        ? `Herinneren kan na ${tijdstip(v.antwoordUiterlijk)}, als er dan geen antwoord is`
        : "Herinneren kan pas als de antwoordtermijn voorbij is";
    }
    if (v.herinneringen) actie.appendChild(maak("span", { class: "hint" }, `Al ${v.herinneringen} herinnering${v.herinneringen === 1 ? "" : "en"} gestuurd.`));
    lijst.appendChild(rij);
  }
  toonTabel("herinneringen-tabel", r.vragen.length > 0);
  $("herinneringen-leeg").hidden = r.vragen.length !== 0;
}

function herinner(v) {
  const soort = herinneringstypen[`${v.module} ${v.versie}`];
  if (!soort) {
    melding("Voor deze vraag kan in het portaal geen herinnering worden opgesteld.");
    return;
  }
  bind({
    soort: "herinnering",
    tekst: `Herinnering aan uw ${v.berichttypeNaam} van ${tijdstip(v.verstuurdOp)} aan ${v.ontvangerNaam} (referentienummer ${v.referentienummer}); de antwoordtermijn is voorbij.`,
    ontvanger: v.ontvanger,
    conversatie: v.conversatieReferentienummer,
    cross: v.referentienummer,
    vooraf: null,
  });
  toonKeuzes([soort]);
  toonOpstellen();
}

// --- several creditors --------------------------------------------------------------------------------

async function vulTrajectIn() {
  const conversatie = $("opstel-conversatie").value.trim().toLowerCase();
  if (!UUID.test(conversatie)) {
    toonFouten(["Conversatie: vul eerst het conversatieReferentienummer (UUID) van de cliënt in; daarna vult het portaal de schuldeisers van die conversatie in."]);
    return;
  }
  const r = await api(`/opstellen/schuldeisers?conversatie=${encodeURIComponent(conversatie)}`);
  toonFouten([]);
  $("opstel-ontvanger").value = r.schuldeisers.map((s) => s.oin).join(", ");
  status(`Ontvangers ingevuld: ${r.schuldeisers.map((s) => s.naam).join(", ")}.`);
}

// --- checking and sending ------------------------------------------------------------------------------

function leesOntvangers(fouten) {
  if (verband) return [verband.ontvanger];
  const delen = $("opstel-ontvanger").value.split(/[\s,;]+/).filter(Boolean);
  const veld = $("opstel-ontvanger");
  const fout = (uitleg) => veldfout(`Ontvanger: ${klein(uitleg)}`, [veld], { uitleg });
  if (!delen.length) fouten.push(fout("Vul het OIN (20 cijfers) van de ontvanger in."));
  for (const d of delen) {
    if (!/^\d{20}$/.test(d)) fouten.push(fout(`'${d}' is geen OIN; een OIN bestaat uit 20 cijfers.`));
  }
  const uniek = [...new Set(delen)];
  if (uniek.length > MAX_ONTVANGERS) fouten.push(fout(`Hoogstens ${MAX_ONTVANGERS} ontvangers per bericht; verstuur het in delen.`));
  return uniek;
}

async function leesPayload(fouten) {
  const payload = {};
  const velden = new Map(); // payload path ("contactpersoonSHV.telefoon") → its input
  const documenten = [];
  const afgewezen = new Set(); // fields whose input was refused already: no "verplicht" besides
  for (const el of $("opstel-velden").querySelectorAll("[data-pad]")) {
    velden.set(el.dataset.pad, el);
    if (el.type === "file") {
      const bestand = el.files[0];
      if (!bestand) continue;
      try {
        zet(payload, el.dataset.pad, await bijlage(bestand));
        documenten.push([el.dataset.pad, bestand]);
      } catch (fout) {
        afgewezen.add(el.dataset.pad);
        fouten.push(veldfout(`${el.dataset.naam}: ${fout.message}.`, [el], { uitleg: `${hoofdletter(fout.message)}.` }));
      }
      continue;
    }
    const t = el.dataset.anders ? gekozenCode(el.value, $(el.dataset.anders).value) : el.value.trim();
    if (!t) continue;
    try {
      zet(payload, el.dataset.pad, waarde(el.dataset.soort, t, el.dataset.pad.split(".").pop()));
    } catch (fout) {
      afgewezen.add(el.dataset.pad);
      fouten.push(veldfout(`${el.dataset.naam}: ${fout.message}.`, [el], { uitleg: `${hoofdletter(fout.message)}.` }));
    }
  }
  // A document's name and media type, from the chosen file (the form does not show them).
  for (const [pad, bestand] of documenten) {
    const blok = pad.includes(".") ? pad.slice(0, pad.lastIndexOf(".")) : "";
    const velden = schemaOp(blok).properties ?? {};
    const plek = (naam) => (blok ? `${blok}.${naam}` : naam);
    if ("bestandsnaam" in velden) zet(payload, plek("bestandsnaam"), bestandsnaam(bestand.name));
    if ("mediatype" in velden) zet(payload, plek("mediatype"), "application/pdf");
  }
  // A required block left empty is there, empty: every field it misses is named at once (DESIGN §7
  // "every form error at once"), as the hosted form does — not "this block is required" first.
  for (const blok of $("opstel-velden").querySelectorAll("fieldset[data-groep][data-verplicht]")) {
    const pad = blok.dataset.groep;
    const ouder = pad.includes(".") ? pad.slice(0, pad.lastIndexOf(".")) : "";
    const binnen = ouder === "" ? payload : lees(payload, ouder);
    if (blok.dataset.verplicht === "ja" && binnen && typeof binnen === "object" && lees(payload, pad) === undefined) zet(payload, pad, {});
  }
  const schoon = compact(payload);
  const uitslag = new Validator(gekozen.schema, "2020-12", false).validate(schoon);
  if (!uitslag.valid) {
    for (const f of schemafouten(uitslag.errors, schoon, { metVeld: false })) {
      // A chosen file or typed value refused above is not also "verplicht; vul het in".
      if (f.soort === "required" && afgewezen.has(f.pad.split("/").filter(Boolean).join("."))) continue;
      fouten.push(schemafout(f, velden));
    }
  } else {
    // What the SDK checks before sealing beyond the JSON Schema (client.berichten.valideer_payload):
    // the payload model's rules (controles.js — a pause of at most 8 months, a net credit not above
    // the gross, amounts that add up, BSN, IBAN, …) and the module's rules for the sender's role.
    const controles = controleerInhoud(schoon, gekozen.schema, gekozen.berichttype);
    const rol = afzenderFout(gekozen.module, gekozen.berichttype, eigenRol, schoon);
    if (rol) controles.push({ veld: rol.veld, reden: inWoorden(gekozen.module, eigenRol, schoon, rol) });
    for (const f of controles) fouten.push(schemafout({ pad: alsPointer(f.veld), reden: zin(nlDatums(f.reden)), soort: "controle" }, velden));
  }
  return schoon;
}

// "vorderingen[0].actueelBedrag" (a check's field, fouten.pad) as the JSON Pointer the form finds
// fields by: "/vorderingen/0/actueelBedrag".
function alsPointer(veld) {
  return veld === "inhoud" ? "" : "/" + veld.replace(/\[(\d+)\]/g, ".$1").split(".").filter(Boolean).join("/");
}

// A validator's reason as a sentence beside a field: a capital, a full stop.
function zin(tekst) {
  const t = hoofdletter(tekst.trim());
  return /[.?!]$/.test(t) ? t : `${t}.`;
}

function hoofdletter(tekst) {
  return tekst.charAt(0).toUpperCase() + tekst.slice(1);
}

// A JSON Schema error (uploaden.js schemafouten) as the person reads it: at the field it is about
// (or the block around it), named by its label — one error for "telefoon or e-mail", never a path.
function schemafout(f, velden) {
  const vorm = $("opstel-velden");
  const blokVan = (pad) => vorm.querySelector(`fieldset[data-groep="${pad}"], fieldset[data-lijst="${pad}"]`);
  const punten = (pointer) => pointer.split("/").filter(Boolean).join(".");
  if (f.soort === "eenVan") {
    const blokpad = punten(f.blok);
    const invoer = f.velden.map((v) => velden.get(blokpad ? `${blokpad}.${v}` : v));
    if (invoer.every(Boolean)) {
      const blok = blokVan(blokpad);
      const namen = opsomming(invoer.map((el) => klein(el.dataset.label)));
      const twee = invoer.length === 2;
      const tekst = `Vul ${namen} in; ${twee ? "één van beide" : "minstens één daarvan"} is verplicht.`;
      // Beside the block's hint, which says the rule already: what is wrong now.
      const uitleg = `Vul ${namen} in: nu is geen van ${twee ? "beide" : "deze velden"} ingevuld.`;
      return veldfout(blok ? `${blok.dataset.naam}: ${klein(tekst)}` : tekst, invoer, { bij: blok ?? invoer[0], uitleg });
    }
  }
  // The field the error is about, else the nearest block around it that the form shows.
  let pad = punten(f.pad);
  let el = velden.get(pad) ?? blokVan(pad);
  while (!el && pad.includes(".")) {
    pad = pad.slice(0, pad.lastIndexOf("."));
    el = velden.get(pad) ?? blokVan(pad);
  }
  const blok = el?.tagName === "FIELDSET";
  const uitleg = f.soort === "required" ? `${blok ? "Dit blok" : "Dit veld"} is verplicht; vul het in.` : f.reden;
  if (!el) return veldfout(uitleg);
  return veldfout(`${el.dataset.naam}: ${klein(uitleg)}`, blok ? [] : [el], { bij: el, uitleg });
}

function nummer(oin) {
  if (!nummers.has(oin)) nummers.set(oin, crypto.randomUUID());
  return nummers.get(oin);
}

function jongeCertificaten(rijen) {
  return rijen.filter((r) => r.o.versleuteling.jong && !bevestigd.has(r.o.versleuteling.kid));
}

// Key transparency (DESIGN §5): a recipient's encryption certificate younger than jongDagen days.
function jongTekst(o) {
  return `${leeftijd(o.versleuteling.leeftijdDagen)} (jonger dan ${meervoud(o.jongDagen, "dag", "dagen")})`;
}

function toonJong(jong) {
  jongGetoond = new Set(jong.map((r) => r.o.versleuteling.kid));
  const delen = jong.map((r) => `${r.o.naam}: ${jongTekst(r.o)}, vingerafdruk ${r.o.versleuteling.kid}`);
  $("opstel-waarschuwing").textContent =
    jong.length === 1
      ? `Let op: het versleutelingscertificaat van ${jong[0].o.naam} is ${jongTekst(jong[0].o)}. Controleer bij twijfel bij de ontvanger of de sleutel van hem is (vingerafdruk ${jong[0].o.versleuteling.kid}); vink dan hieronder aan en verstuur opnieuw.`
      : `Let op: nieuwe versleutelingscertificaten (sleuteltransparantie). ${delen.join("; ")}. Controleer bij twijfel bij de ontvangers of de sleutels van hen zijn; vink dan hieronder aan.`;
  $("opstel-jong-label").textContent =
    jong.length === 1 ? "Ik heb gecontroleerd dat dit certificaat van de ontvanger is" : "Ik heb gecontroleerd dat deze certificaten van de ontvangers zijn";
  $("opstel-jong-akkoord").checked = false;
  $("opstel-jong").hidden = false;
}

/** Whether the young certificates among `rijen` are confirmed (the box ticked for those shown). */
function jongAkkoord(rijen) {
  const jong = jongeCertificaten(rijen);
  if (!jong.length) return true;
  const getoond = jong.every((r) => jongGetoond.has(r.o.versleuteling.kid));
  if (!getoond || !$("opstel-jong-akkoord").checked) {
    if (!getoond) toonJong(jong);
    return false;
  }
  for (const r of jong) bevestigd.add(r.o.versleuteling.kid);
  return true;
}

function uitkomst(r) {
  if (r.verstuurd) return r.verstuurd.status === 200 ? `Was al verstuurd (referentienummer ${r.envelop.referentienummer})` : `Verstuurd (referentienummer ${r.envelop.referentienummer})`;
  if (r.alVerzonden) return `Al verstuurd op ${tijdstip(r.alVerzonden)}; wordt niet opnieuw verstuurd`;
  if (r.weigering) return `Wordt niet verstuurd: ${r.weigering}`;
  return "Kan worden verstuurd";
}

function toonVoorbeeld(rijen) {
  const lijst = $("opstel-voorbeeld-lijst");
  lijst.replaceChildren();
  for (const r of rijen) {
    const rij = maak("tr");
    cel(rij, r.naam);
    cel(rij, r.oin);
    cel(rij, uitkomst(r));
    lijst.appendChild(rij);
  }
  $("opstel-voorbeeld").hidden = false;
}

/** Check the form and dry-run the envelopes: per recipient what the hub will refuse, before any
 * sealing. One recipient: sent at once when nothing is refused; several: shown, sent on confirming. */
async function controleer() {
  toonFouten([]);
  status(""); // what an earlier press said no longer holds
  $("opstel-uitslag").textContent = "";
  $("opstel-voorbeeld").hidden = true;
  wachtend = null;
  if (!tekensleutel()) throw new Error("Ontgrendel eerst uw sleutels.");
  if (!gekozen) throw new Error("Kies eerst een soort bericht.");
  const fouten = [];
  const ontvangers = leesOntvangers(fouten);
  let conversatie = $("opstel-conversatie").value.trim().toLowerCase();
  if (!verband && conversatie && !UUID.test(conversatie)) {
    const uitleg = "Vul een conversatieReferentienummer (UUID) in, of laat het leeg voor een nieuwe conversatie.";
    fouten.push(veldfout(`Conversatie: ${klein(uitleg)}`, [$("opstel-conversatie")], { uitleg }));
  }
  const schoon = await leesPayload(fouten);
  if (fouten.length) {
    toonFouten(fouten);
    status("Er is niets verstuurd: verbeter de velden hieronder.");
    return;
  }
  conversatie = verband ? verband.conversatie : conversatie || (nieuweConversatie ??= crypto.randomUUID());
  const bsn = bsnPaden(schoon);
  const rijen = [];
  for (const oin of ontvangers) {
    const rij = { oin, naam: oin };
    try {
      rij.o = await api(`/verzenden/ontvanger?oin=${encodeURIComponent(oin)}&module=${encodeURIComponent(gekozen.module)}`);
      rij.naam = rij.o.naam;
      if (bsn.length && !rij.o.gebruiktBsn) {
        // DESIGN §3: a BSN only to creditors that identify clients by it (gebruiktBsn).
        rij.weigering = `${rij.o.naam} werkt niet met het BSN van klanten (adresboek); een bericht met een BSN (${bsn.join(", ")}) gaat daarom niet naar deze ontvanger — stuur een soort bericht zonder BSN`;
        rij.bsn = true;
        rijen.push(rij);
        continue;
      }
      rij.envelop = {
        referentienummer: nummer(oin),
        conversatieReferentienummer: conversatie,
        crossReferentienummer: verband ? verband.cross : null,
        module: gekozen.module,
        berichttype: gekozen.berichttype,
        versie: gekozen.versie,
        ontvanger: oin,
      };
    } catch (fout) {
      rij.weigering = fout.message; // not reachable through the hub (another channel is needed)
    }
    rijen.push(rij);
  }
  const metEnvelop = rijen.filter((r) => r.envelop);
  if (metEnvelop.length) {
    const proef = (await api("/verzenden/proef", { methode: "POST", body: { berichten: metEnvelop.map((r) => r.envelop) } })).berichten;
    metEnvelop.forEach((r, i) => {
      if (proef[i].alVerzondenOp) r.alVerzonden = proef[i].alVerzondenOp;
      else if (!proef[i].ok) r.weigering = `${proef[i].melding} (${proef[i].code})`;
    });
  }
  const klaar = rijen.filter((r) => r.envelop && !r.weigering && !r.alVerzonden);
  wachtend = { rijen, klaar, schoon, soort: gekozen, conversatie };
  if (rijen.length === 1) {
    const r = rijen[0];
    if (r.weigering) {
      toonFouten([r.bsn ? `Er is niets verstuurd: ${r.weigering}.` : r.envelop ? `Het knooppunt zou dit bericht weigeren: ${r.weigering}` : `Dit bericht kan niet via het knooppunt: ${r.weigering}`]);
      return;
    }
    if (r.alVerzonden) {
      $("opstel-uitslag").textContent = `Dit bericht is al verstuurd op ${tijdstip(r.alVerzonden)} (referentienummer ${r.envelop.referentienummer}); het wordt niet opnieuw verstuurd.`;
      return;
    }
    if (!jongAkkoord(klaar)) {
      // Nothing is wrong in the form: say what to do instead.
      status(
        `Er is niets verstuurd: het versleutelingscertificaat van ${r.naam} is nieuw. Controleer het, vink hieronder '${$("opstel-jong-label").textContent}' aan en kies opnieuw '${$("opstel-knop").textContent}'.`,
      );
      return;
    }
    await verzend();
    return;
  }
  toonVoorbeeld(rijen);
  const knop = $("opstel-bevestig");
  knop.textContent = klaar.length
    ? `Versturen aan ${klaar.length} van de ${rijen.length} ontvangers`
    : "Versturen (er is geen ontvanger die het bericht kan krijgen)";
  knop.disabled = !klaar.length;
  const jong = jongeCertificaten(klaar);
  if (jong.length) toonJong(jong);
  const geweigerd = rijen.length - klaar.length;
  status(
    `Controle: ${klaar.length} van de ${rijen.length} ontvangers ${klaar.length === 1 ? "kan" : "kunnen"} dit bericht krijgen${geweigerd ? `, ${geweigerd} niet (zie de tabel)` : ""}. Er is nog niets verstuurd; ` +
      (jong.length ? "vink aan dat u de nieuwe certificaten hebt gecontroleerd en kies Versturen." : "kies Versturen om het te versturen."),
  );
}

async function bevestig() {
  toonFouten([]);
  if (!wachtend || !wachtend.klaar.length) return;
  if (!jongAkkoord(wachtend.klaar)) {
    toonFouten(["Vink eerst aan dat u de nieuwe certificaten hebt gecontroleerd; er is niets verstuurd."]);
    return;
  }
  await verzend();
}

/** Seal the payload for each recipient that may receive it and submit each as its own part. */
async function verzend() {
  const { rijen, klaar, schoon, soort, conversatie } = wachtend;
  const teken = tekensleutel();
  if (!teken) throw new Error("Ontgrendel eerst uw sleutels.");
  const tekst = JSON.stringify(schoon);
  status(`${soort.naam} wordt ondertekend, versleuteld en verstuurd…`);
  for (const r of klaar) {
    await ontvangersleutel(r.o.versleuteling);
    const inhoud = await zegel(tekst, r.envelop, { afzender: instellingen.oin, ontvanger: r.o.versleuteling, teken });
    try {
      r.verstuurd = (await api("/verzenden", { methode: "POST", body: { berichten: [{ ...r.envelop, inhoud }] } })).berichten[0];
    } catch (fout) {
      const eerste = fout.gegevens && Array.isArray(fout.gegevens.berichten) ? fout.gegevens.berichten[0] : null;
      r.weigering = eerste && eerste.melding ? `${eerste.melding} (${eerste.code})` : fout.message;
    }
  }
  const gelukt = klaar.filter((r) => r.verstuurd);
  const mislukt = rijen.filter((r) => !r.verstuurd && !r.alVerzonden);
  if (rijen.length === 1 && gelukt.length === 1) {
    $("opstel-uitslag").textContent = `Verstuurd: ${soort.naam} aan ${gelukt[0].naam}, referentienummer ${gelukt[0].verstuurd.referentienummer}, conversatie ${conversatie}.`;
  } else if (rijen.length === 1) {
    toonFouten([`Niet verstuurd: ${mislukt[0].weigering}`]);
  } else {
    toonVoorbeeld(rijen);
    $("opstel-uitslag").textContent =
      `Verstuurd: ${soort.naam} aan ${gelukt.length} van de ${rijen.length} ontvangers${gelukt.length ? ` (${gelukt.map((r) => r.naam).join(", ")})` : ""}, conversatie ${conversatie}.` +
      (mislukt.length ? ` Niet verstuurd aan: ${mislukt.map((r) => r.naam).join(", ")}.` : "");
  }
  $("opstel-bevestig").disabled = true;
  $("opstel-jong").hidden = true;
  $("opstel-waarschuwing").textContent = "";
  wachtend = null;
  if (gelukt.length) {
    status(`${soort.naam} verstuurd.`);
    // The client this message names names its traject in the werkplek's tables (DESIGN §7), as an
    // opened message does — encrypted under the organisation's label key; an existing name stays.
    const eigenNummer = ["klantnummerBW", "kenmerk"].find((n) => n in schoon) ?? "klantnummerSHV";
    noemUitBerichten([{ conversatie, payload: schoon, eigenNummer }]).catch(() => {});
    // The same numbers stay until the form changes: sending it again unchanged sends nothing twice.
    verstuurd = true;
    const was = verband;
    if (was) {
      const uitslag = $("opstel-uitslag").textContent;
      bind(null);
      toonKeuzes(typen);
      $("opstel-uitslag").textContent = uitslag;
      if (was.soort === "herinnering") laadHerinneringen().catch((fout) => melding(`Herinneringen: ${fout.message}`));
    }
  }
}

async function metKnop(knop, werk) {
  knop.disabled = true;
  try {
    await werk();
  } catch (fout) {
    melding(`Opstellen: ${fout.message}`);
  } finally {
    knop.disabled = false;
  }
}

// A recipient found by name (GET /verzenden/zoek: adresboek metadata, of the roles the chosen type
// goes to), added to the OIN field with one press; one the hub cannot deliver to says why.
async function zoekOntvanger() {
  const zoek = $("opstel-zoek").value.trim();
  const lijst = $("opstel-zoekresultaten");
  lijst.replaceChildren();
  lijst.hidden = true;
  if (zoek.length < 2) {
    $("opstel-zoek-uitslag").textContent = "Typ minstens 2 tekens van de naam, het OIN of het KvK-nummer.";
    return;
  }
  const query = new URLSearchParams({ zoek });
  if (gekozen) {
    query.set("module", gekozen.module);
    query.set("berichttype", gekozen.berichttype);
    query.set("versie", gekozen.versie);
  }
  const { resultaten } = await api(`/verzenden/zoek?${query}`);
  $("opstel-zoek-uitslag").textContent = resultaten.length
    ? `${meervoud(resultaten.length, "deelnemer", "deelnemers")} gevonden voor '${zoek}'.`
    : `Geen deelnemer gevonden voor '${zoek}' die dit bericht kan krijgen.`;
  for (const d of resultaten) {
    const item = maak("li", {}, `${d.naam} (${d.rol}, OIN ${d.oin}) `);
    if (d.waaromNiet) {
      item.append(maak("span", { class: "klein" }, `— niet via het knooppunt: ${d.naam} ${d.waaromNiet}.`));
    } else {
      const knop = maak("button", { type: "button", class: "knop secundair", "aria-label": `${d.naam} als ontvanger toevoegen` }, "Als ontvanger toevoegen");
      knop.addEventListener("click", () => {
        const veld = $("opstel-ontvanger");
        const oins = veld.value.split(/[\s,;]+/).filter(Boolean);
        if (!oins.includes(d.oin)) veld.value = [...oins, d.oin].join(", ");
        $("opstel-zoek-uitslag").textContent = `${d.naam} is toegevoegd als ontvanger.`;
        veld.focus();
      });
      item.append(knop);
    }
    lijst.append(item);
  }
  lijst.hidden = !resultaten.length;
}

onderdeel("Opstellen", {
  start() {
    $("opstel-type").addEventListener("change", kiesType);
    // A change after sending makes it a new message, with new numbers (and a new conversation).
    const gewijzigd = (e) => {
      if (!verstuurd || e.target.id === "opstel-jong-akkoord") return;
      nummers = new Map();
      nieuweConversatie = null;
      verstuurd = false;
    };
    $("opstel-formulier").addEventListener("input", gewijzigd);
    $("opstel-formulier").addEventListener("change", gewijzigd);
    $("opstel-formulier").addEventListener("submit", (e) => {
      e.preventDefault();
      metKnop($("opstel-knop"), controleer);
    });
    $("opstel-bevestig").addEventListener("click", () => metKnop($("opstel-bevestig"), bevestig));
    $("opstel-annuleer").addEventListener("click", annuleer);
    $("opstel-traject").addEventListener("click", () => metKnop($("opstel-traject"), vulTrajectIn));
    $("opstel-zoek-knop").addEventListener("click", () => metKnop($("opstel-zoek-knop"), zoekOntvanger));
    $("opstel-zoek").addEventListener("keydown", (e) => {
      if (e.key !== "Enter") return;
      e.preventDefault(); // not the form's submit: that checks and seals the message
      metKnop($("opstel-zoek-knop"), zoekOntvanger);
    });
    $("herinneringen-ververs").addEventListener("click", () => metKnop($("herinneringen-ververs"), laadHerinneringen));
  },
  ontgrendeld() {
    laadTypen()
      .then(() => laadHerinneringen())
      .catch((fout) => melding(`Opstellen: ${fout.message}`));
  },
});

async function laadTypen() {
  if (typen.length) return;
  const r = await api("/verzenden/opstellen");
  typen = r.typen;
  eigenRol = r.rol ?? "";
  if (!verband) toonKeuzes(typen);
  $("opstellen").hidden = !typen.length;
  // Come from the menu's "Nieuw bericht" (/portaal/sleutels#opstellen): there once it is shown.
  if (location.hash === "#opstellen" && typen.length) $("opstellen-kop").focus();
}
