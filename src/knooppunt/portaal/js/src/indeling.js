// The layout the werkplek reads and shows received messages with (GET …/indeling, generated from
// export.beschrijving: the zip's files and columns, each message type's handbook name and JSON
// Schema, the readable copy's labels, Dutch days and months). Fetched once per page and shared by
// the download (downloaden.js) and the readable message (leesbaar.js); metadata only, no message.

import { api } from "./werkplek.js";

export let indeling = null; // GET /indeling, once per page
let klok = null;

// The layout as GET /indeling gives it (also used by js/test/downloaden.mjs, without a page).
export function stelIndeling(gegevens) {
  indeling = gegevens;
  indeling.formule = new Set(indeling.cel.formuletekens);
  indeling.overslaan = new Set([...indeling.cel.spaties, ...indeling.cel.onzichtbaar]);
  indeling.bedragen = new Set(indeling.leesbaar.bedragen);
  indeling.percentages = new Set(indeling.leesbaar.percentages);
  klok = null;
}

export async function laadIndeling() {
  if (indeling === null) stelIndeling(await api("/indeling"));
  return indeling;
}

/** A message type of the layout (name, CSV file, columns, JSON Schema), or null. */
export function typeVan(env) {
  return indeling.typen[`${env.module}/${env.versie}/${env.berichttype}`] ?? null;
}

/** A message type's handbook name: from the layout, else as the message list named it. */
export function typenaam(env) {
  return typeVan(env)?.naam ?? env.berichttypeNaam ?? env.berichttype;
}

// Python's format(x, "g"): six significant digits, exponent form below 1e-4 and from 1e6.
export function g(x) {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const kaal = (s) => (s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s);
  const exp = Math.floor(Math.log10(Math.abs(Number(x.toPrecision(6)))));
  if (exp < -4 || exp >= 6) {
    const [m, e] = x.toExponential(5).split("e");
    const n = Number(e);
    return `${kaal(m)}e${n < 0 ? "-" : "+"}${String(Math.abs(n)).padStart(2, "0")}`;
  }
  return kaal(x.toFixed(Math.max(0, 5 - exp)));
}

// A document inside a payload (a base64 PDF: export.is_pdf).
export function isPdf(waarde) {
  return typeof waarde === "string" && waarde.length > indeling.bijlage.langerDan && waarde.startsWith(indeling.bijlage.begin);
}

// --- times (export.moment, weergave.tijdstip) ------------------------------------------------------------

// A moment's parts in Dutch local time, and its offset from UTC in minutes; null for no moment.
export function lokaal(iso) {
  const t = new Date(iso);
  if (iso === null || iso === undefined || iso === "" || Number.isNaN(t.getTime())) return null;
  klok ??= new Intl.DateTimeFormat("en-GB", {
    timeZone: indeling.tijd.zone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
  const d = Object.fromEntries(klok.formatToParts(t).map((p) => [p.type, p.value]));
  const seconden = Math.floor(t.getTime() / 1000) * 1000;
  const alsUtc = Date.UTC(+d.year, +d.month - 1, +d.day, +d.hour, +d.minute, +d.second);
  return { ...d, offset: Math.round((alsUtc - seconden) / 60000) };
}

// "ma 30 nov 2026 23:59", as the portal's pages write a moment.
export function tijdstip(iso) {
  const d = lokaal(iso);
  if (d === null) return "—";
  const dag = (new Date(Date.UTC(+d.year, +d.month - 1, +d.day)).getUTCDay() + 6) % 7;
  return `${indeling.tijd.dagen[dag]} ${+d.day} ${indeling.tijd.maanden[+d.month - 1]} ${d.year} ${d.hour}:${d.minute}`;
}
