// The werkplek's "Cliënten" part (DESIGN §5 "Portal", §7): the organisation's conversations with the
// klantnummer and name its people gave each client, encrypted and decrypted here under the
// organisation's label key (AES-256-GCM, a random 96-bit IV per label). The associated data binds a
// label to the participant's OIN, the conversation and the key's id, so a ciphertext moved to another
// conversation (or another organisation) does not decrypt. The server stores {sleutel, iv,
// versleuteld} per conversation and never sees a name. Everything shown is set as text.

import { b64url, ontb64url } from "./kluis.js";
import { $, api, cel, geheim, geheugen, instellingen, melding, onderdeel, status, tijdstip, toonTabel } from "./werkplek.js";

export const MAX_KLANTNUMMER = 50;
export const MAX_NAAM = 200;

let conversaties = [];
const labels = new Map(); // conversatie → {klantnummer, naam} (decrypted, in this page only) or {fout}
const luisteraars = []; // the other parts' tables that show names: told when the names change
const geprobeerd = new Set(); // trajecten this page already named (or tried to) from a message
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function aad(conversatie, sleutelId) {
  return new TextEncoder().encode(`knooppunt-clientlabel:v1:${instellingen.oin}:${conversatie}:${sleutelId}`);
}

function schoon(tekst, max) {
  return String(tekst ?? "").split(/\s+/).filter(Boolean).join(" ").slice(0, max);
}

/** Encrypt {klantnummer, naam} for one conversation under the newest label key. */
export async function versleutel(conversatie, label) {
  const sleutel = geheim("labelsleutel");
  if (!sleutel) throw new Error("uw sleutels bevatten nog geen sleutel voor namen van cliënten; maak nieuwe sleutels");
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const tekst = new TextEncoder().encode(JSON.stringify({ klantnummer: label.klantnummer, naam: label.naam }));
  const versleuteld = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: aad(conversatie, sleutel.id) },
    sleutel.sleutel,
    tekst,
  );
  return { sleutel: sleutel.id, iv: b64url(iv), versleuteld: b64url(versleuteld) };
}

/** Decrypt a stored label; {fout} when the key is not in this page or the ciphertext does not fit. */
export async function ontsleutel(conversatie, opgeslagen) {
  const sleutel = geheugen.labelsleutel.get(opgeslagen.sleutel);
  if (!sleutel) return { fout: "versleuteld met een sleutel die u niet hebt" };
  try {
    const tekst = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: ontb64url(opgeslagen.iv), additionalData: aad(conversatie, opgeslagen.sleutel) },
      sleutel,
      ontb64url(opgeslagen.versleuteld),
    );
    const data = JSON.parse(new TextDecoder().decode(tekst));
    return { klantnummer: schoon(data.klantnummer, MAX_KLANTNUMMER), naam: schoon(data.naam, MAX_NAAM) };
  } catch {
    return { fout: "niet te ontsleutelen: hoort niet bij dit traject" };
  }
}

/** For other parts of the werkplek (a message, a row of the zip or the upload): the name and
 * klantnummer the organisation gave the client of this traject, as text, or null when it has none
 * (or the keys are locked). Decrypted in this page only. */
export function clientnaam(conversatie) {
  return labeltekst(labels.get(String(conversatie).toLowerCase()));
}

/** A decrypted label (from `ontsleutel`) as the werkplek shows it: "naam · klantnummer", or null
 * when there is none or it did not decrypt. */
export function labeltekst(label) {
  if (!label || label.fout) return null;
  return [label.naam, label.klantnummer].filter(Boolean).join(" · ") || null;
}

/** Call `fn` whenever the names this page holds change (loaded, set, wiped, or taken from an opened
 * message), so that a table already shown (the inbox, the download) shows them at once. */
export function bijNamen(fn) {
  luisteraars.push(fn);
}

function meldNamen() {
  for (const fn of luisteraars) {
    try {
      fn();
    } catch {
      // one table that cannot be redrawn does not stop the others
    }
  }
}

function isObject(x) {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function tekstveld(w) {
  return typeof w === "string" || typeof w === "number" ? String(w).trim() : "";
}

/** The label a received message's content gives its client (DESIGN §7), as the werkplek stores it:
 * the name from `klant` (its `naam`, or voornamen — else voorletters —, voorvoegsel and achternaam)
 * and the creditor's own klantnummer (`klantnummerSE`), else the sender's (`klantnummerSHV`).
 * null when the content names no client: a klantnummer alone is no reason to name a traject. */
export function labelUitPayload(payload, { eigenNummer } = {}) {
  if (!isObject(payload)) return null;
  // The waarborgfonds names no client (SBN): its case's kenmerk (the kredietbank's number of the
  // saneringskrediet, one conversation per case) names the traject, on both sides.
  if (!isObject(payload.klant)) {
    const kenmerk = schoon(tekstveld(payload.kenmerk), MAX_NAAM - "Kenmerk ".length);
    return kenmerk ? { klantnummer: "", naam: `Kenmerk ${kenmerk}` } : null;
  }
  const klant = payload.klant;
  const delen = [tekstveld(klant.voornamen) || tekstveld(klant.voorletters), tekstveld(klant.voorvoegsel), tekstveld(klant.achternaam)];
  const naam = tekstveld(klant.naam) || delen.filter(Boolean).join(" ");
  if (!schoon(naam, MAX_NAAM)) return null;
  // A message the organisation sent itself names its own number (eigenNummer: klantnummerSHV of a
  // debt counsellor, klantnummerBW of a bewindvoerder) first.
  const klantnummer =
    (eigenNummer && tekstveld(payload[eigenNummer])) ||
    tekstveld(payload.klantnummerSE) ||
    tekstveld(payload.klantnummerSHV) ||
    tekstveld(payload.klantnummerBW);
  return { klantnummer: schoon(klantnummer, MAX_KLANTNUMMER), naam: schoon(naam, MAX_NAAM) };
}

/** The organisation's conversations and their labels as the server holds them now, decrypted into
 * this page (the list's data); returns the server's answer. */
async function vernieuw() {
  const r = await api("/clienten");
  const nieuw = new Map();
  for (const [conversatie, opgeslagen] of Object.entries(r.labels)) {
    nieuw.set(conversatie, await ontsleutel(conversatie, opgeslagen));
  }
  conversaties = r.conversaties;
  labels.clear();
  for (const [conversatie, label] of nieuw) labels.set(conversatie, label);
  return r;
}

/** Name the trajecten of messages the werkplek opened (decrypted and verified) from their content
 * (`labelUitPayload`): encrypted here and stored as a name typed in the list is, and shown at once
 * in every table of the page. items: [{conversatie, payload}]. A traject that already has a label
 * — in this page, on the server now (a colleague may have named it meanwhile), or readable of the
 * old kind still to be moved — keeps it: nothing is overwritten. Returns how many were named; never
 * throws (a name that could not be stored is only not shown). items: [{conversatie, payload,
 * eigenNummer?}] — eigenNummer for a message the organisation sent (see labelUitPayload). */
export async function noemUitBerichten(items) {
  if (!geheim("labelsleutel")) return 0;
  const kandidaten = new Map();
  for (const { conversatie, payload, eigenNummer } of items) {
    const c = String(conversatie ?? "").toLowerCase();
    if (!UUID.test(c) || labels.has(c) || geprobeerd.has(c) || kandidaten.has(c)) continue;
    const label = labelUitPayload(payload, { eigenNummer });
    if (label) kandidaten.set(c, label);
  }
  if (kandidaten.size === 0) return 0;
  for (const c of kandidaten.keys()) geprobeerd.add(c);
  let gemaakt = 0;
  try {
    const r = await vernieuw();
    const oud = new Set();
    if (r.oudeLabels > 0) for (const l of (await api("/clienten/oude-labels")).labels) oud.add(String(l.conversatie).toLowerCase());
    for (const [c, label] of kandidaten) {
      if (labels.has(c) || oud.has(c)) continue;
      try {
        await api(`/clienten/${encodeURIComponent(c)}/label`, { methode: "PUT", body: await versleutel(c, label) });
        labels.set(c, label);
        gemaakt++;
      } catch {
        // not stored (not a traject of this organisation, or the server refused): not shown
      }
    }
  } catch {
    for (const c of kandidaten.keys()) geprobeerd.delete(c); // the server was not reached: try again later
  }
  toonLijst();
  meldNamen();
  return gemaakt;
}

function tekstVan(conversatie) {
  const label = labels.get(conversatie);
  if (!label) return `Traject ${conversatie.slice(0, 8)} (zonder naam)`;
  if (label.fout) return `Traject ${conversatie.slice(0, 8)} (naam ${label.fout})`;
  return [label.naam, label.klantnummer].filter(Boolean).join(" · ");
}

function toonLijst() {
  const zoek = $("clienten-zoek").value.trim().toLowerCase();
  const lijst = $("clienten-lijst");
  lijst.replaceChildren();
  let getoond = 0;
  for (const c of conversaties) {
    const label = labels.get(c.conversatie);
    const doorzocht = [c.conversatie, label?.naam ?? "", label?.klantnummer ?? "", ...c.tegenpartijen].join(" ").toLowerCase();
    if (zoek && !doorzocht.includes(zoek)) continue;
    getoond++;
    const rij = document.createElement("tr");
    const kop = document.createElement("th");
    kop.scope = "row";
    kop.textContent = tekstVan(c.conversatie);
    // The reference beside a name; an unnamed traject's text is its reference already (read once).
    if (label && !label.fout) {
      const ref = document.createElement("span");
      ref.className = "klein";
      ref.textContent = ` traject ${c.conversatie.slice(0, 8)}`;
      kop.appendChild(ref);
    }
    rij.appendChild(kop);
    cel(rij, c.module);
    cel(rij, c.tegenpartijen.join(", "));
    const l = c.laatste;
    cel(rij, `${l.berichttypeNaam} (${l.richting}), ${tijdstip(l.ontvangenOp)}: ${l.status}`);
    const termijn = [];
    if (c.nieuw) termijn.push(`${c.nieuw} nieuw`);
    if (c.teLaat) termijn.push(`${c.teLaat} te laat`);
    if (c.eerstvolgendeTermijn) termijn.push(`antwoord uiterlijk ${tijdstip(c.eerstvolgendeTermijn)}`);
    cel(rij, termijn.join("; ") || "—");
    const knopcel = cel(rij, "");
    const knop = document.createElement("button");
    knop.type = "button";
    knop.className = "knop secundair";
    knop.textContent = "Naam wijzigen";
    knop.dataset.conversatie = c.conversatie;
    knop.setAttribute("aria-label", `Naam wijzigen van traject ${c.conversatie.slice(0, 8)}`);
    knop.addEventListener("click", () => bewerk(c.conversatie));
    knopcel.appendChild(knop);
    lijst.appendChild(rij);
  }
  toonTabel("clienten-tabel", conversaties.length > 0);
  $("clienten-leeg").hidden = conversaties.length !== 0;
  $("clienten-aantal").textContent =
    zoek ? `${getoond} van ${conversaties.length} trajecten gevonden` : `${conversaties.length} traject${conversaties.length === 1 ? "" : "en"}`;
}

async function laad() {
  melding("");
  try {
    const r = await vernieuw();
    meldNamen();
    $("clienten-oud").hidden = !(r.oudeLabels > 0);
    $("clienten-oud-aantal").textContent = String(r.oudeLabels);
    toonLijst();
  } catch (fout) {
    melding(`De cliënten konden niet worden geladen: ${fout.message}`);
  }
}

function bewerk(conversatie) {
  const label = labels.get(conversatie);
  $("clienten-bewerk").hidden = false;
  $("clienten-bewerk-kop").textContent = `Naam van traject ${conversatie.slice(0, 8)}`;
  $("clienten-conversatie").value = conversatie;
  $("clienten-klantnummer").value = label && !label.fout ? label.klantnummer : "";
  $("clienten-naam").value = label && !label.fout ? label.naam : "";
  $("clienten-naam").focus();
}

async function bewaar(gebeurtenis) {
  gebeurtenis.preventDefault();
  melding("");
  const conversatie = $("clienten-conversatie").value;
  const label = { klantnummer: schoon($("clienten-klantnummer").value, 1e6), naam: schoon($("clienten-naam").value, 1e6) };
  if (!label.klantnummer && !label.naam) {
    melding("Vul een klantnummer of een naam in om de cliënt te herkennen.");
    return;
  }
  if (label.klantnummer.length > MAX_KLANTNUMMER || label.naam.length > MAX_NAAM) {
    melding(`Het klantnummer mag hoogstens ${MAX_KLANTNUMMER} en de naam hoogstens ${MAX_NAAM} tekens hebben. Kort ze in.`);
    return;
  }
  const knop = $("clienten-bewaar");
  knop.disabled = true;
  try {
    await api(`/clienten/${encodeURIComponent(conversatie)}/label`, { methode: "PUT", body: await versleutel(conversatie, label) });
    labels.set(conversatie, label);
    $("clienten-bewerk").hidden = true;
    toonLijst();
    meldNamen();
    status("De naam is versleuteld bewaard. Het knooppunt kan hem niet lezen.");
  } catch (fout) {
    melding(`De naam is niet bewaard: ${fout.message}`);
  } finally {
    knop.disabled = false;
  }
}

async function wis() {
  const conversatie = $("clienten-conversatie").value;
  melding("");
  try {
    await api(`/clienten/${encodeURIComponent(conversatie)}/label`, { methode: "DELETE" });
    labels.delete(conversatie);
    geprobeerd.add(conversatie); // wiped on purpose: an opened message does not name it again here
    $("clienten-bewerk").hidden = true;
    toonLijst();
    meldNamen();
    status("De naam is gewist.");
  } catch (fout) {
    melding(`De naam is niet gewist: ${fout.message}`);
  }
}

// The labels the portal kept readable before: encrypt each here and store it; the server deletes its
// readable copy as it stores the encrypted one.
async function zetOudeOver() {
  melding("");
  const knop = $("clienten-oud-overzetten");
  knop.disabled = true;
  try {
    const { labels: oud } = await api("/clienten/oude-labels");
    let klaar = 0;
    for (const l of oud) {
      const label = { klantnummer: schoon(l.klantnummer, MAX_KLANTNUMMER), naam: schoon(l.naam, MAX_NAAM) };
      await api(`/clienten/${encodeURIComponent(l.conversatie)}/label`, { methode: "PUT", body: await versleutel(l.conversatie, label) });
      klaar++;
      status(`Oude namen overgezet: ${klaar} van ${oud.length}.`);
    }
    status(`${klaar} oude ${klaar === 1 ? "naam is" : "namen zijn"} versleuteld overgezet; het knooppunt heeft de leesbare ${klaar === 1 ? "kopie" : "kopieën"} gewist.`);
    await laad();
  } catch (fout) {
    melding(`Het overzetten is gestopt: ${fout.message}. Wat al is overgezet, blijft bewaard; probeer het opnieuw.`);
  } finally {
    knop.disabled = false;
  }
}

onderdeel("Cliënten", {
  start() {
    $("clienten-laden").addEventListener("click", laad);
    $("clienten-zoek").addEventListener("input", toonLijst);
    $("clienten-formulier").addEventListener("submit", bewaar);
    $("clienten-wis").addEventListener("click", wis);
    $("clienten-annuleer").addEventListener("click", () => {
      $("clienten-bewerk").hidden = true;
    });
    $("clienten-oud-overzetten").addEventListener("click", zetOudeOver);
  },
  ontgrendeld() {
    if (!geheim("labelsleutel")) {
      $("clienten-geen-sleutel").hidden = false;
    }
    return laad();
  },
});
