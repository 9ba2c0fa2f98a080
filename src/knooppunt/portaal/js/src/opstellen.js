// Composing a message in the werkplek (DESIGN §5 "Portal", §7): the form is the server's own form
// description (formulier.sjabloon, from the payload's JSON Schema — the same one the hosted
// compose pages are made from), rendered here as DOM elements; the fields become the payload in
// this page, are checked against the JSON Schema, sealed for the recipient's current certificate
// (with a warning, to be confirmed, when that certificate is young: key transparency) and
// submitted through the same endpoint as an upload's parts. The server sees the envelope only.

import { Validator } from "@cfworker/json-schema";
import { schemafouten } from "./uploaden.js";
import { zegel, ontvangersleutel, tekensleutel } from "./zegelen.js";
import { $, api, instellingen, melding, onderdeel, status } from "./werkplek.js";

let typen = [];
let gekozen = null;
let jongBevestigd = null; // the kid of the young certificate the user confirmed

function maak(tag, eigenschappen = {}, tekst) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(eigenschappen)) {
    if (v !== undefined && v !== null) el.setAttribute(k, v);
  }
  if (tekst !== undefined) el.textContent = tekst;
  return el;
}

const INVOERTYPE = { email: "email", telefoon: "tel", datum: "date", geheel: "text", getal: "text", bedrag: "text", tekst: "text" };

function veld(sj, pad, ouder) {
  if (sj.soort === "groep") {
    const doel = sj.naam ? maak("fieldset", { class: "groep" }) : ouder;
    if (sj.naam) {
      doel.appendChild(maak("legend", {}, sj.label + (sj.verplicht ? "" : " (optioneel)")));
      ouder.appendChild(doel);
    }
    for (const kind of sj.kinderen) veld(kind, pad ? `${pad}.${kind.naam}` : kind.naam, doel);
    return;
  }
  if (sj.soort === "lijst") {
    const fs = maak("fieldset", { class: "lijst", "data-lijst": pad });
    fs.appendChild(maak("legend", {}, sj.label));
    const rijen = maak("div");
    fs.appendChild(rijen);
    const rij = () => {
      const i = rijen.children.length;
      const r = maak("fieldset", { class: "rij" });
      r.appendChild(maak("legend", {}, `${sj.label} ${i + 1}`));
      rijen.appendChild(r);
      veld({ ...sj.kinderen[0], naam: "", label: "" }, `${pad}.${i}`, r);
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
  if (sj.soort === "bijlage") return; // PDFs are not offered in the werkplek yet
  const id = `opstel-${pad.replace(/\./g, "-")}`;
  const p = maak("p");
  p.appendChild(maak("label", { for: id }, (sj.label || sj.naam) + (sj.verplicht ? "" : " (optioneel)") + (sj.soort === "bedrag" ? " (in euro)" : "")));
  p.appendChild(maak("br"));
  let invoer;
  if (sj.soort === "keuze" || sj.soort === "janee") {
    invoer = maak("select", { id });
    invoer.appendChild(maak("option", { value: "" }, "—"));
    const opties = sj.soort === "janee" ? [["ja", "Ja"], ["nee", "Nee"]] : sj.opties;
    for (const [code, label] of opties) invoer.appendChild(maak("option", { value: code }, label));
  } else if (sj.soort === "tekstvak") {
    invoer = maak("textarea", { id, rows: "4", maxlength: sj.maxLengte });
  } else {
    invoer = maak("input", { id, type: INVOERTYPE[sj.soort] || "text", maxlength: sj.maxLengte, autocomplete: "off" });
  }
  invoer.dataset.pad = pad;
  invoer.dataset.soort = sj.soort;
  invoer.dataset.label = sj.label || sj.naam;
  p.appendChild(invoer);
  ouder.appendChild(p);
}

function waarde(soort, t) {
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
  if (soort === "tekst") return t.split(/\s+/).filter(Boolean).join(" ");
  return t;
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

function toonFouten(fouten) {
  const lijst = $("opstel-fouten");
  lijst.replaceChildren();
  for (const f of fouten) lijst.appendChild(maak("li", {}, f));
  lijst.hidden = !fouten.length;
}

function kiesType() {
  gekozen = typen[Number($("opstel-type").value)] || null;
  const plek = $("opstel-velden");
  plek.replaceChildren();
  toonFouten([]);
  if (gekozen) veld(gekozen.formulier, "", plek);
  $("opstel-formulier").hidden = !gekozen;
}

async function verstuur() {
  toonFouten([]);
  $("opstel-uitslag").textContent = "";
  const teken = tekensleutel();
  if (!teken) throw new Error("Ontgrendel eerst uw sleutels.");
  if (!gekozen) throw new Error("Kies eerst een soort bericht.");
  const fouten = [];
  const ontvanger = $("opstel-ontvanger").value.trim();
  if (!/^\d{20}$/.test(ontvanger)) fouten.push("Ontvanger: vul het OIN (20 cijfers) van de ontvanger in.");
  let conversatie = $("opstel-conversatie").value.trim().toLowerCase();
  if (conversatie && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(conversatie)) {
    fouten.push("Conversatie: vul een conversatieReferentienummer (UUID) in, of laat het leeg voor een nieuwe conversatie.");
  }
  const payload = {};
  const labels = new Map();
  for (const el of $("opstel-velden").querySelectorAll("[data-pad]")) {
    const t = el.value.trim();
    labels.set(el.dataset.pad.replace(/\./g, "/"), el.dataset.label);
    if (!t) continue;
    try {
      zet(payload, el.dataset.pad, waarde(el.dataset.soort, t));
    } catch (fout) {
      fouten.push(`${el.dataset.label}: ${fout.message}.`);
    }
  }
  const schoon = compact(payload);
  const uitslag = new Validator(gekozen.schema, "2020-12", false).validate(schoon);
  if (!uitslag.valid) {
    for (const f of schemafouten(uitslag.errors, schoon)) {
      const sleutel = f.pad.replace(/^\//, "");
      fouten.push(labels.has(sleutel) ? `${labels.get(sleutel)}: ${f.reden}` : f.reden);
    }
  }
  if (fouten.length) {
    toonFouten(fouten);
    status("Er is niets verstuurd: verbeter de velden hieronder.");
    return;
  }
  // The recipient's certificate: a young one is only used after the user confirmed it.
  const o = await api(`/verzenden/ontvanger?oin=${encodeURIComponent(ontvanger)}&module=${encodeURIComponent(gekozen.module)}`);
  if (o.versleuteling.jong && jongBevestigd !== o.versleuteling.kid) {
    $("opstel-waarschuwing").textContent = `Let op: het versleutelingscertificaat van ${o.naam} is ${o.versleuteling.leeftijdDagen.toFixed(1)} dagen oud (jonger dan ${o.jongDagen} dagen). Controleer bij twijfel bij de ontvanger of de sleutel van hem is (vingerafdruk ${o.versleuteling.kid}); vink dan hieronder aan en verstuur opnieuw.`;
    $("opstel-jong").hidden = false;
    if (!$("opstel-jong-akkoord").checked) return;
    jongBevestigd = o.versleuteling.kid;
  }
  conversatie = conversatie || crypto.randomUUID();
  const envelop = {
    referentienummer: crypto.randomUUID(),
    conversatieReferentienummer: conversatie,
    crossReferentienummer: null,
    module: gekozen.module,
    berichttype: gekozen.berichttype,
    versie: gekozen.versie,
    ontvanger,
  };
  const proef = (await api("/verzenden/proef", { methode: "POST", body: { berichten: [envelop] } })).berichten[0];
  if (!proef.ok) {
    toonFouten([`Het knooppunt zou dit bericht weigeren: ${proef.melding} (${proef.code})`]);
    return;
  }
  await ontvangersleutel(o.versleuteling);
  const inhoud = await zegel(JSON.stringify(schoon), envelop, { afzender: instellingen.oin, ontvanger: o.versleuteling, teken });
  const r = await api("/verzenden", { methode: "POST", body: { berichten: [{ ...envelop, inhoud }] } });
  const u = r.berichten[0];
  $("opstel-uitslag").textContent = `Verstuurd: ${gekozen.naam} aan ${o.naam}, referentienummer ${u.referentienummer}, conversatie ${conversatie}.`;
  $("opstel-jong").hidden = true;
  $("opstel-waarschuwing").textContent = "";
  status(`${gekozen.naam} verstuurd.`);
}

onderdeel("Opstellen", {
  start() {
    $("opstel-type").addEventListener("change", kiesType);
    $("opstel-formulier").addEventListener("submit", async (e) => {
      e.preventDefault();
      const knop = $("opstel-knop");
      knop.disabled = true;
      try {
        await verstuur();
      } catch (fout) {
        melding(`Opstellen: ${fout.message}`);
      } finally {
        knop.disabled = false;
      }
    });
  },
  ontgrendeld() {
    laadTypen().catch((fout) => melding(`Opstellen: ${fout.message}`));
  },
});

async function laadTypen() {
    if (typen.length) return;
    typen = (await api("/verzenden/opstellen")).typen;
    const keuze = $("opstel-type");
    keuze.replaceChildren(maak("option", { value: "" }, "— kies een soort bericht —"));
    typen.forEach((t, i) => keuze.appendChild(maak("option", { value: String(i) }, `${t.naam} (${t.modulenaam} ${t.versie})`)));
    $("opstellen").hidden = !typen.length;
}
