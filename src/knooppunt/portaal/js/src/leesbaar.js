// A received message for a person to read (art. 17.1 "leesbare kopie", DESIGN §7 "For people at
// work"): the type by its handbook name and the client by the name the organisation gave its
// traject, field labels from the handbook, amounts in euro with a decimal comma, dates as
// dd-mm-jjjj — the server's leesbaar.py, from the labels GET …/indeling gives (indeling.js).
//
// One description, two renderings: the zip's readable copy as text (`leesbareKopie`, the server's
// copy byte for byte) and the message opened on the Sleutels page as DOM (`toonLeesbaar`, as the
// hosted "Bekijken" page shows it). The payload is untrusted: the DOM is built with createElement
// and textContent only, so nothing of it can become markup.

import { strToU8 } from "fflate";
import { g, indeling, isPdf, tijdstip } from "./indeling.js";

const BOM = "\ufeff";

export function isObject(x) {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function label(veld) {
  return indeling.leesbaar.labels[veld] ?? veld;
}

function bedrag(centen) {
  const teken = centen < 0 ? "-" : "";
  const abs = Math.abs(centen);
  const euro = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  return `${teken}€ ${euro},${String(abs % 100).padStart(2, "0")}`;
}

function waarde(veld, inhoud) {
  const l = indeling.leesbaar;
  if (typeof inhoud === "boolean") return inhoud ? "ja" : "nee";
  if (indeling.bedragen.has(veld) && Number.isInteger(inhoud)) return bedrag(inhoud);
  if (indeling.percentages.has(veld) && typeof inhoud === "number") return `${g(inhoud)} %`.replaceAll(".", ",");
  if (isPdf(inhoud)) return l.pdf.replace("{kb}", String(Math.max(1, Math.floor(Math.floor((inhoud.length * 3) / 4) / 1024))));
  if (typeof inhoud === "string") {
    const vertaald = l.waarden[veld]?.[inhoud];
    if (vertaald !== undefined) return vertaald;
    const datum = /^(\d{4})-(\d{2})-(\d{2})$/.exec(inhoud);
    if (datum) return `${datum[3]}-${datum[2]}-${datum[1]}`;
    return inhoud;
  }
  if (Array.isArray(inhoud)) return inhoud.map((i) => waarde(veld, i)).join(", ");
  return String(inhoud);
}

/** The content as lines [label, waarde, niveau] (leesbaar.regels): a nested block is a heading
 * (waarde null), a list of blocks is numbered from 1. */
export function regels(inhoud, niveau = 0, uit = []) {
  for (const [veld, w] of Object.entries(inhoud)) {
    if (w === null || w === undefined) continue;
    if (isObject(w)) {
      uit.push([label(veld), null, niveau]);
      regels(w, niveau + 1, uit);
    } else if (Array.isArray(w) && w.some(isObject)) {
      w.forEach((item, i) => {
        uit.push([`${label(veld)} – ${i + 1}`, null, niveau]);
        regels(isObject(item) ? item : { [veld]: item }, niveau + 1, uit);
      });
    } else {
      uit.push([label(veld), waarde(veld, w), niveau]);
    }
  }
  return uit;
}

/** A hub notice as the portal shows it (weergave.melding_weergave, given with the envelope as
 * meldingWeergave): the types and participants it names in words; the notice as it came otherwise.
 * null for a message that is no notice. */
function meldingVoorWeergave(b) {
  if (b.melding === null || b.melding === undefined) return null;
  return isObject(b.env?.meldingWeergave) ? b.env.meldingWeergave : b.melding;
}

/** The heading: the type's handbook name, and the client when the organisation named the traject
 * (b.client, "naam · klantnummer"). */
export function titel(b) {
  return b.client ? `${b.typeNaam} – ${b.client}` : b.typeNaam;
}

/** The envelope as [label, waarde] lines (export.KOPIE_ENVELOP), empty ones left out. */
export function envelopregels(env) {
  const uit = [];
  for (const { label: naam, veld } of indeling.leesbaar.envelop) {
    let w = env[veld];
    if (veld === "afzender") w = `${env.afzenderNaam ?? env.afzender} (${env.afzender})`;
    else if (veld === "ontvangenOp" || veld === "verlooptOp") w = tijdstip(w);
    if (w === null || w === undefined || w === "") continue;
    uit.push([naam, String(w)]);
  }
  return uit;
}

// --- the zip's readable copy (text) -------------------------------------------------------------------------

/** b: {env, typeNaam, client, payload, melding}. Without a client name the copy is the server's,
 * byte for byte. */
export function leesbareKopie(b, gemaakt) {
  const l = indeling.leesbaar;
  const kop = titel(b);
  const tekst = [kop, "=".repeat(kop.length), ""];
  for (const [naam, w] of envelopregels(b.env)) tekst.push(`${naam}: ${w}`);
  tekst.push("", b.melding !== null ? l.melding : l.inhoud, "");
  for (const [naam, w, niveau] of regels(meldingVoorWeergave(b) ?? b.payload ?? {})) {
    const inspringen = "  ".repeat(niveau);
    tekst.push(w === null ? `${inspringen}${naam}` : `${inspringen}${naam}: ${w}`);
  }
  tekst.push("", l.slot.replace("{gemaakt}", tijdstip(gemaakt)), "");
  return strToU8(BOM + tekst.join("\r\n"));
}

// --- the message opened on the page (DOM) -------------------------------------------------------------------

function element(tag, klasse, tekst) {
  const el = document.createElement(tag);
  if (klasse) el.className = klasse;
  if (tekst !== undefined) el.textContent = tekst; // text, never HTML (DESIGN §5)
  return el;
}

// A two-column table as templates/ontvangen/_inhoud.html draws one: a block's heading spans both
// columns, its fields are indented by level.
function tabel(klasse, bijschrift, lijnen, id) {
  const t = element("table", klasse);
  const onderschrift = element("caption", null, bijschrift);
  if (id) onderschrift.id = id;
  t.appendChild(onderschrift);
  const romp = element("tbody");
  for (const [naam, w, niveau] of lijnen) {
    const rij = element("tr", `${w === null ? "blok " : ""}niveau-${niveau}`);
    const kop = element("th", null, naam);
    if (w === null) {
      kop.scope = "rowgroup";
      kop.colSpan = 2;
      rij.appendChild(kop);
    } else {
      kop.scope = "row";
      rij.append(kop, element("td", null, w));
    }
    romp.appendChild(rij);
  }
  t.appendChild(romp);
  return t;
}

/** Show b ({env, typeNaam, client, payload, melding}) readably in `plek`, its heading in `kop`,
 * and the whole content as it arrived (`tekst`, JSON) in a closed "Alle gegevens (JSON)" beneath.
 * A hub notice shows its omschrijving as text and its code beside it, smaller. */
export function toonLeesbaar(kop, plek, b, tekst) {
  const l = indeling.leesbaar;
  kop.textContent = titel(b);
  // The envelope in a scroll region as on the hosted page (focusable, named by its caption): its
  // numbers are long; the content's table wraps its values instead.
  const rol = element("div", "tabel-rol");
  rol.tabIndex = 0;
  rol.setAttribute("role", "region");
  rol.setAttribute("aria-labelledby", "bericht-envelop-kop");
  rol.appendChild(tabel("envelop", "Envelop", envelopregels(b.env).map(([naam, w]) => [naam, w, 0]), "bericht-envelop-kop"));
  const delen = [rol];
  let leesbaar = true;
  if (b.melding !== null) {
    const { omschrijving, code, ...rest } = meldingVoorWeergave(b);
    delen.push(element("h4", null, l.melding));
    if (omschrijving !== null && omschrijving !== undefined) delen.push(element("p", "bericht-omschrijving", String(omschrijving)));
    if (code !== null && code !== undefined) delen.push(element("p", "hint", `${label("code")}: ${code}`));
    const overig = regels(rest);
    if (overig.length) delen.push(tabel("inhoud", `Gegevens bij de ${l.melding.toLowerCase()}`, overig));
  } else if (isObject(b.payload)) {
    delen.push(tabel("inhoud", l.inhoud, regels(b.payload)));
  } else {
    leesbaar = false; // not a JSON object: shown as it arrived, as text
  }
  const ruw = element("pre", "bericht-json", tekst);
  if (leesbaar) {
    const alles = element("details", "bericht-alles");
    alles.append(element("summary", null, "Alle gegevens (JSON)"), ruw);
    delen.push(alles);
  } else {
    delen.push(ruw);
  }
  plek.replaceChildren(...delen);
}
