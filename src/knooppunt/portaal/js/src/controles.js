// The payload checks JSON Schema cannot express (DESIGN §3 "Payloads", §7 art. 18.3c), in the
// browser, as the Python payload models make them (protocol/payloads/velden.py and each module's
// payloads.py): BSN (elfproef), IBAN (mod-97 and the country's length and form, python-stdnum's
// registry, and its national checks for BE, ES, ME and NO), postcode, telephone number and e-mail
// address, dates that may not lie in the future, and the rules between fields (amounts that add up,
// "either this or that", no number twice). Each message is the Python validator's own Dutch text, at
// the field path the Python side reports ("vorderingen[0].actueelBedrag"), so that an upload gives
// the same errors in the page as on the server (tests/unit/test_uploaden_js.py and
// test_controles_iban_js.py run both on the same inputs).
//
// controleer(payload, schema, berichttype, vandaag) walks the payload beside its JSON Schema; the
// rules of a block are found by the block's name in the schema ($defs/Vordering, …) or, for the
// payload itself, by its berichttype. The page calls it after the JSON Schema passed: pydantic too
// runs a model's cross-field rules only when its fields are valid.

// python-stdnum's IBAN registry (stdnum/iban.dat): the BBAN structure per country code.
const IBAN_BBAN = {"AD":"4!n4!n12!c","AE":"3!n16!n","AL":"8!n16!c","AT":"5!n11!n","AZ":"4!a20!c","BA":"3!n3!n8!n2!n","BE":"3!n7!n2!n","BG":"4!a4!n2!n8!c","BH":"4!a14!c","BI":"5!n5!n11!n2!n","BR":"8!n5!n10!n1!a1!c","BY":"4!c4!n16!c","CH":"5!n12!c","CR":"4!n14!n","CY":"3!n5!n16!c","CZ":"4!n16!n","DE":"8!n10!n","DJ":"5!n5!n11!n2!n","DK":"4!n9!n1!n","DO":"4!c20!n","EE":"2!n14!n","EG":"4!n4!n17!n","ES":"4!n4!n1!n1!n10!n","FI":"3!n11!n","FK":"2!a12!n","FO":"4!n9!n1!n","FR":"5!n5!n11!c2!n","GB":"4!a6!n8!n","GE":"2!a16!n","GI":"4!a15!c","GL":"4!n9!n1!n","GR":"3!n4!n16!c","GT":"4!c20!c","HN":"4!a20!n","HR":"7!n10!n","HU":"3!n4!n1!n15!n1!n","IE":"4!a6!n8!n","IL":"3!n3!n13!n","IQ":"4!a3!n12!n","IS":"4!n2!n6!n10!n","IT":"1!a5!n5!n12!c","JO":"4!a4!n18!c","KW":"4!a22!c","KZ":"3!n13!c","LB":"4!n20!c","LC":"4!a24!c","LI":"5!n12!c","LT":"5!n11!n","LU":"3!n13!c","LV":"4!a13!c","LY":"3!n3!n15!n","MC":"5!n5!n11!c2!n","MD":"2!c18!c","ME":"3!n13!n2!n","MK":"3!n10!c2!n","MN":"4!n12!n","MR":"5!n5!n11!n2!n","MT":"4!a5!n18!c","MU":"4!a2!n2!n12!n3!n3!a","NI":"4!a20!n","NL":"4!a10!n","NO":"4!n6!n1!n","OM":"3!n16!c","PK":"4!a16!c","PL":"8!n16!n","PS":"4!a21!c","PT":"4!n4!n11!n2!n","QA":"4!a21!c","RO":"4!a16!c","RS":"3!n13!n2!n","RU":"9!n5!n15!c","SA":"2!n18!c","SC":"4!a2!n2!n16!n3!a","SD":"2!n12!n","SE":"3!n16!n1!n","SI":"5!n8!n2!n","SK":"4!n6!n10!n","SM":"1!a5!n5!n12!c","SO":"4!n3!n12!n","ST":"4!n4!n11!n2!n","SV":"4!a20!n","TL":"3!n14!n2!n","TN":"2!n3!n13!n2!n","TR":"5!n1!n16!c","UA":"6!n19!c","VA":"3!n15!n","VG":"4!a16!n","XK":"4!n10!n2!n","YE":"4!a4!n18!c"};

const VERLEDEN = new Set(["peildatum", "ontstaansdatum", "datumGebeurtenis", "datumBeeindiging", "datumBeeindigd", "datumUitbetaald", "laatsteAanlevering", "laatsteAflosdatum", "uitbetaaldatum"]);
const MELDPLICHTIGE_STATUSSEN = new Set(["dwangakkoord_aangevraagd", "uitstel", "opschorting"]);
const AFWIJZINGEN = new Set(["pro_forma_afgewezen", "aanvraag_afgewezen", "uitbetaalverzoek_afgewezen", "ingetrokken"]);
const ONDERDELEN = ["hoofdsom", "rente", "kosten", "incassokosten"];

// Python's str.isprintable() for one character: not a control, format, surrogate, private-use or
// unassigned character, nor a separator other than the space.
const NIET_AFDRUKBAAR = /^(?:[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}]|(?! )\p{Zs})$/u;
// Python's str.isspace() for one character.
const PY_SPATIE = /^[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/u;

// Python's repr() of a string, as the validators quote values ({waarde!r}).
export function pyRepr(w) {
  if (typeof w !== "string") return String(w);
  const q = w.includes("'") && !w.includes('"') ? '"' : "'";
  let uit = "";
  for (const t of w) {
    const c = t.codePointAt(0);
    if (t === "\\") uit += "\\\\";
    else if (t === q) uit += "\\" + q;
    else if (t === "\n") uit += "\\n";
    else if (t === "\r") uit += "\\r";
    else if (t === "\t") uit += "\\t";
    else if (NIET_AFDRUKBAAR.test(t)) {
      if (c < 0x100) uit += "\\x" + c.toString(16).padStart(2, "0");
      else if (c < 0x10000) uit += "\\u" + c.toString(16).padStart(4, "0");
      else uit += "\\U" + c.toString(16).padStart(8, "0");
    } else uit += t;
  }
  return q + uit + q;
}

// formulier.nl_datums: the dates in a reason as the forms ask for them (dd-mm-jjjj, "Bijvoorbeeld
// 01-03-2024"), not as the standard writes them: "einddatum (2027-12-07)" → "einddatum (07-12-2027)".
// The page shows the checks' reasons so (composing, uploading); the reasons themselves stay the
// Python validators' (tests/unit/test_uploaden_js.py compares them).
export function nlDatums(tekst) {
  return String(tekst).replace(/\b(\d{4})-(\d{2})-(\d{2})\b(?![T:])/g, "$3-$2-$1");
}

// The module rules that depend on the sender's role (the module's AFZENDERREGELS, DESIGN §3b), which
// the SDK applies before sealing (client.berichten.valideer_payload) and a recipient's SDK on opening:
// null, or {veld, reden} with the Python text. saldoverzoek: a bewindvoerder asks on the beschikking,
// a debt counsellor never does (saldoverzoek.payloads.grondslag_past_bij_rol).
const GRONDSLAGTYPEN = new Set(["saldoverzoek", "saldoverzoek_nuts", "saldoverzoek_publiek", "saldoverzoek_zorg"]);
export function afzenderFout(module, berichttype, rol, payload) {
  if (module !== "saldoverzoek" || !GRONDSLAGTYPEN.has(berichttype) || payload === null || typeof payload !== "object") return null;
  const grondslag = payload.grondslag;
  if (typeof grondslag !== "string") return null;
  if (rol === "BW" && grondslag !== "beschikking") {
    return {
      veld: "grondslag",
      reden: `een bewindvoerder vraagt saldo's op grond van de beschikking, niet op grond van ${pyRepr(grondslag)}: kies grondslag 'beschikking' (de beschikking zelf kan als PDF mee in grondslagDocument)`,
    };
  }
  if (rol === "SHV" && grondslag === "beschikking") {
    return {
      veld: "grondslag",
      reden: "grondslag 'beschikking' is voor bewindvoerders: een schuldhulpverlener kiest 'wgs' of, buiten de Wgs, 'toestemmingsverklaring' (de ondertekende verklaring kan als PDF mee in grondslagDocument)",
    };
  }
  return null;
}

// The same rule as the compose forms say it (formulier.in_woorden): in words and the form's labels,
// never the codes and field names the SDK's text names ('wgs', grondslagDocument).
const GRONDSLAG_IN_WOORDEN = {
  wgs: "de Wet gemeentelijke schuldhulpverlening (Wgs)",
  toestemmingsverklaring: "een toestemmingsverklaring van de cliënt",
  beschikking: "Beschikking van de rechtbank",
};
const DOCUMENTVELD = "het veld ‘Grondslag document’";
export function inWoorden(module, rol, payload, fout) {
  if (module !== "saldoverzoek" || fout.veld !== "grondslag") return fout.reden;
  const gekozen = String(payload.grondslag ?? "");
  if (rol === "BW") {
    return `een bewindvoerder vraagt saldo's op grond van de beschikking van de rechtbank, niet op grond van ${GRONDSLAG_IN_WOORDEN[gekozen] ?? gekozen}: kies bij Grondslag ‘Beschikking van de rechtbank’ (de beschikking zelf kunt u als PDF meesturen in ${DOCUMENTVELD})`;
  }
  if (rol === "SHV") {
    return `de grondslag ‘Beschikking van de rechtbank’ is voor bewindvoerders: een schuldhulpverlener kiest ‘Wgs (Wet gemeentelijke schuldhulpverlening)’ of, buiten de Wgs, ‘Toestemmingsverklaring van de cliënt’ (de ondertekende verklaring kunt u als PDF meesturen in ${DOCUMENTVELD})`;
  }
  return fout.reden;
}

// --- single values (velden.py) ---------------------------------------------------------------------

export function bsnFout(w) {
  if (!/^[0-9]{9}$/.test(w)) return `BSN ${pyRepr(w)} moet uit precies 9 cijfers bestaan, zonder punten of spaties`;
  const som = [...w.slice(0, 8)].reduce((s, c, i) => s + (9 - i) * Number(c), 0) - Number(w[8]);
  if (Number(w) <= 0 || ((som % 11) + 11) % 11 !== 0) return `BSN ${pyRepr(w)} is ongeldig: het voldoet niet aan de elfproef`;
  return null;
}

// DESIGN §3: "BSN only to creditors with gebruiktBsn" — the paths of every non-empty bsn in a
// payload ("klant.bsn", "partner.bsn"), as the SDK finds them (protocol/payloads/velden.py bsn_paden).
export function bsnPaden(x, pad = "") {
  if (Array.isArray(x)) return x.flatMap((w, i) => bsnPaden(w, `${pad}[${i}]`));
  if (x === null || typeof x !== "object") return [];
  return Object.entries(x).flatMap(([sleutel, w]) => {
    const hier = pad ? `${pad}.${sleutel}` : sleutel;
    if (sleutel === "bsn" && w !== null && w !== undefined && w !== "") return [hier];
    return bsnPaden(w, hier);
  });
}

function mod97(tekst) {
  let rest = 0;
  for (const t of tekst) {
    const i = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".indexOf(t);
    if (i < 0) return null;
    for (const c of String(i)) rest = (rest * 10 + Number(c)) % 97;
  }
  return rest;
}

function bbanPatroon(structuur) {
  const tekens = { n: "[0-9]", a: "[A-Z]", c: "[A-Za-z0-9]" };
  return new RegExp(`^${structuur.replace(/([0-9]+)!([nac])/g, (_, n, s) => `${tekens[s]}{${n}}`)}$`);
}

// The reasons of velden._stdnum_reden for stdnum's InvalidChecksum and InvalidComponent; a national
// check that is no mod 97 (ES, NO) has its own text (velden._NATIONALE_CONTROLE).
const CONTROLE_KLOPT_NIET = "de controle (mod-97) klopt niet";
const NATIONAAL_KLOPT_NIET = "het nationale controlegetal van het rekeningnummer klopt niet";
const ONDERDEEL_KLOPT_NIET = "de landcode of het rekeningnummer klopt niet";

// python-stdnum's Belgian bank registry (stdnum/be/banks.dat): the registered bank codes, [first, last].
// BEGIN belgische banken (js/tools/belgische_banken.py, python-stdnum 2.2; do not edit)
const BE_BANKEN = [[0,111],[113,116],[119,127],[129,134],[137,137],[140,150],[171,171],[175,176],[185,185],[189,214],[220,499],[501,501],[504,504],[507,510],[512,515],[521,525],[538,538],[541,541],[546,546],[548,560],[562,579],[581,581],[583,583],[585,588],[590,601],[603,605],[607,607],[610,613],[624,625],[630,631],[634,636],[638,638],[640,640],[642,654],[657,658],[663,664],[666,680],[682,689],[693,696],[699,709],[719,719],[722,722],[725,765],[772,806],[817,817],[823,826],[828,828],[830,840],[845,845],[850,853],[859,860],[862,863],[865,866],[868,868],[871,871],[873,873],[876,881],[883,884],[887,888],[890,899],[903,908],[910,911],[913,917],[920,920],[922,924],[926,926],[929,931],[934,934],[936,936],[939,943],[945,945],[948,961],[963,964],[967,969],[971,971],[973,984],[989,999]];
// END belgische banken

// stdnum.be.iban: the bank code (the BBAN's first three digits) is in the registry above.
function belgischeBank(code) {
  return BE_BANKEN.some(([eerste, laatste]) => eerste <= code && code <= laatste);
}

// stdnum.es.ccc: a control digit over the digits weighted 1, 2, 4, …, 512 (mod 11).
function cccCijfer(cijfers) {
  const rest = [...cijfers].reduce((s, c, i) => s + Number(c) * 2 ** i, 0) % 11;
  return String(rest < 2 ? rest : 11 - rest);
}

// stdnum.luhn, for the digits python-stdnum's Norwegian account number (stdnum.no.kontonr) has
// when its BBAN begins with the postgiro code 0000.
function luhnKlopt(cijfers) {
  const waarden = [...cijfers].reverse().map(Number);
  const som = waarden.reduce((s, w, i) => s + (i % 2 === 0 ? w : Math.floor((w * 2) / 10) + ((w * 2) % 10)), 0);
  return som % 10 === 0;
}

// The national checks python-stdnum makes after the IBAN's own (stdnum.iban.validate asks
// stdnum.<land>.iban; python-stdnum has them for BE, ES, ME and NO — docs/portaal.md): the BBAN,
// already of the country's form (digits only for these four), to null or the reason.
const NATIONAAL = {
  // stdnum.be.iban: the first ten digits mod 97 (0 counts as 97) are the last two; a registered bank.
  BE: (bban) => {
    if (String(mod97(bban.slice(0, 10)) || 97).padStart(2, "0") !== bban.slice(10)) return CONTROLE_KLOPT_NIET;
    return belgischeBank(Number(bban.slice(0, 3))) ? null : ONDERDEEL_KLOPT_NIET;
  },
  // stdnum.es.ccc: the Código Cuenta Corriente's two control digits (positions 9 and 10), one over
  // "00" + bank and office, one over the account number.
  ES: (bban) => (bban.slice(8, 10) === cccCijfer("00" + bban.slice(0, 8)) + cccCijfer(bban.slice(10)) ? null : NATIONAAL_KLOPT_NIET),
  // stdnum.me.iban: the whole BBAN mod 97 is 1.
  ME: (bban) => (mod97(bban) === 1 ? null : CONTROLE_KLOPT_NIET),
  // stdnum.no.kontonr: 11 digits weighted 6, 7, 8, 9, 4, 5, 6, 7, 8, 9 (mod 11) give the last; after
  // the postgiro code 0000, seven digits under Luhn.
  NO: (bban) => {
    const nummer = bban.startsWith("0000") ? bban.slice(4) : bban;
    if (nummer.length === 7) return luhnKlopt(nummer) ? null : NATIONAAL_KLOPT_NIET;
    const gewichten = [6, 7, 8, 9, 4, 5, 6, 7, 8, 9];
    const som = gewichten.reduce((s, g, i) => s + g * Number(nummer[i]), 0);
    return String(som % 11) === nummer[10] ? null : NATIONAAL_KLOPT_NIET;
  },
};

// stdnum.iban.validate: (the canonical form, null) or (null, the reason of velden._stdnum_reden).
export function ibanControle(w) {
  const compact = w.replace(/[ \-.]/g, "").trim().toUpperCase();
  const rest = mod97(compact.slice(4) + compact.slice(0, 4));
  if (rest === null || !compact) return [null, "de vorm klopt niet"];
  if (rest !== 1) return [null, CONTROLE_KLOPT_NIET];
  const land = compact.slice(0, 2);
  const structuur = IBAN_BBAN[land];
  if (!structuur) return [null, ONDERDEEL_KLOPT_NIET];
  if (!bbanPatroon(structuur).test(compact.slice(4))) return [null, "de vorm klopt niet"];
  const nationaal = NATIONAAL[land]?.(compact.slice(4));
  if (nationaal) return [null, nationaal];
  return [compact, null];
}

export function ibanFout(w) {
  // velden._iban: a value not shaped like an IBAN at all is told so, not that its check digits fail.
  if (!/^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$/.test(w.replace(/[ \-.]/g, "").trim().toUpperCase())) {
    return `${pyRepr(w)} is geen IBAN: een IBAN bestaat uit een landcode van 2 letters, 2 controlecijfers en het rekeningnummer van 11 tot 30 letters en cijfers, zonder spaties (bijv. NL91ABNA0417164300)`;
  }
  const [canoniek, reden] = ibanControle(w);
  if (canoniek === null) return `IBAN ${pyRepr(w)} is ongeldig (${reden})`;
  if (canoniek !== w) return `IBAN ${pyRepr(w)} moet zonder spaties en in hoofdletters: ${pyRepr(canoniek)}`;
  return null;
}

export function postcodeFout(w) {
  let compact = w.replace(/[ -]/g, "").toUpperCase().trim();
  if (compact.startsWith("NL")) compact = compact.slice(2);
  const m = /^([1-9][0-9]{3})([A-Z]{2})$/.exec(compact);
  if (!m || ["SA", "SD", "SS"].includes(m[2])) return `postcode ${pyRepr(w)} is geen geldige Nederlandse postcode (vorm '1234 AB')`;
  const canoniek = `${m[1]} ${m[2]}`;
  if (canoniek !== w) return `postcode ${pyRepr(w)} moet geschreven worden als ${pyRepr(canoniek)} (vorm '1234 AB')`;
  return null;
}

export function telefoonFout(w) {
  const cijfers = [...w].filter((c) => /[0-9]/.test(c)).length;
  const kern = w.startsWith("+") ? w.slice(1) : w;
  if (![...kern].every((c) => "0123456789 -()".includes(c)) || cijfers < 10 || cijfers > 15) {
    return `telefoonnummer ${pyRepr(w)} moet 10 tot 15 cijfers hebben, eventueel met een + vooraan en spaties, streepjes of haakjes (bijv. 030 123 4567 of +31 30 123 4567)`;
  }
  return null;
}

export function emailFout(w) {
  const i = w.lastIndexOf("@");
  const lokaal = i < 0 ? "" : w.slice(0, i);
  const domein = i < 0 ? "" : w.slice(i + 1);
  const kaal = domein.replace(/^\.+|\.+$/g, "");
  if (i < 0 || !lokaal || lokaal.includes("@") || [...lokaal].length > 64 || !kaal.includes(".") || /\s/u.test(w)) {
    return `e-mailadres ${pyRepr(w)} heeft niet de vorm naam@domein.nl`;
  }
  return null;
}

const ISO = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;

// --- the rules between fields (velden.py's shared helpers) ------------------------------------------

function dubbele(waarden, veld, pad) {
  const gezien = new Set();
  const uit = [];
  waarden.forEach((w, i) => {
    if (gezien.has(w)) uit.push([pad([veld, i]), `${pyRepr(w)} staat meer dan eens in ${veld}`]);
    gezien.add(w);
  });
  return uit;
}

function opbouw(o, pad) {
  const actueel = o.actueelBedrag;
  if (!Number.isInteger(actueel)) return [];
  const gegeven = ONDERDELEN.filter((n) => o[n] != null);
  const som = gegeven.reduce((s, n) => s + o[n], 0);
  if (gegeven.length === ONDERDELEN.length && som !== actueel) {
    return [[pad(["actueelBedrag"]), `actueelBedrag (${actueel}) moet gelijk zijn aan hoofdsom + rente + kosten + incassokosten (${som}); bedragen in eurocenten`]];
  }
  if (gegeven.length && som > actueel) {
    return [[pad(["actueelBedrag"]), `actueelBedrag (${actueel}) is kleiner dan de som van ${gegeven.join(" + ")} (${som}); bedragen in eurocenten`]];
  }
  return [];
}

const leeg = (w) => w === undefined || w === null;

// Per block (the name of its $defs entry, or "#" + the berichttype for the payload itself): its
// model validators. Each gets the block, its schema's properties, a path maker and the context.
const REGELS = {
  Contactpersoon: (o, _e, pad) => (leeg(o.telefoon) && leeg(o.email) ? [[pad(["telefoon"]), "telefoonnummer of e-mailadres is verplicht bij een contactpersoon"]] : []),
  Vordering: (o, eigen, pad) => {
    const fouten = opbouw(o, pad);
    if ("overgedragenAan" in eigen && !leeg(o.overgedragenAan) && o.schuldtype !== "overgedragen") {
      fouten.push([pad(["overgedragenAan"]), "overgedragenAan mag alleen bij schuldtype 'overgedragen'"]);
    }
    return fouten;
  },
  Totaalvordering: (o, _e, pad) => opbouw(o, pad),
  PauzeAntwoord: (o, _e, pad) => {
    const fouten = [];
    if (o.akkoord && leeg(o.incassoOpgeschortTot)) fouten.push([pad(["incassoOpgeschortTot"]), "incassoOpgeschortTot is verplicht bij akkoord: tot wanneer is de incasso opgeschort?"]);
    if (!o.akkoord && leeg(o.reden)) fouten.push([pad(["reden"]), "reden is verplicht als de schuldeiser niet akkoord gaat met de pauze"]);
    return fouten;
  },
  VoorgesteldeVordering: (o, _e, pad) => nietHogerDan(o, "aangebodenBedrag", "bedrag", pad),
  HerzieneVordering: (o, _e, pad) => nietHogerDan(o, "aangebodenBedrag", "bedrag", pad),
  GeaccordeerdeVordering: (o, _e, pad) => nietHogerDan(o, "prognoseEindbedrag", "actueelVorderingsbedrag", pad),
  HerzienVoorstel: (o, eigen, pad) => ("termijnbedrag" in eigen ? voorwaarden(o, pad) : []),
  Beschikking: (o, _e, pad, ctx) => (ISO.test(o.datum || "") && o.datum > ctx.vandaag ? [[pad(["datum"]), `datum ${o.datum} ligt in de toekomst: een beschikking is al gegeven`]] : []),
  Pauze: (o, _e, pad) => {
    const uiterlijk = plusMaanden(o.ingangsdatum, 8);
    if (o.einddatum <= o.ingangsdatum) return [[pad(["einddatum"]), `einddatum (${o.einddatum}) moet na ingangsdatum (${o.ingangsdatum}) liggen`]];
    if (o.einddatum > uiterlijk) return [[pad(["einddatum"]), `een pauze duurt hoogstens 8 maanden: einddatum (${o.einddatum}) mag niet na ${uiterlijk} liggen`]];
    return [];
  },
  "#betaalvoorstel": betaalvoorstel,
  "#schuldregeling_geaccordeerd": geaccordeerd,
  "#kennisgeving": adreskeuze,
  "#kennisgeving_bsn": adreskeuze,
  "#voorbeoordeling": aanvraag,
  "#aanvraag_borgstelling": aanvraag,
  "#aanvraag_overname": aanvraag,
  "#verzoek_uitbetaling": (o, _e, pad) => (o.reden === "anders" && leeg(o.toelichting) ? [[pad(["toelichting"]), "toelichting is verplicht bij reden 'anders'"]] : []),
  Kredietsom: (o, _e, pad) => (o.netto > o.bruto ? [[pad(["netto"]), `netto (${o.netto}) mag niet hoger zijn dan bruto (${o.bruto}); bedragen in eurocenten`]] : []),
  "#saldoverzoek_antwoord": saldoverzoekAntwoord,
  "#saldoverzoek_antwoord_standaard_akkoord": saldoverzoekAntwoord,
  "#kennisgeving_antwoord": (o, eigen, pad) => {
    const fouten = [];
    const factuurnummers = o.factuurnummers || [];
    if ("antwoord" in eigen) {
      // schuldregeling 2.0 and the modules built on it (versie_2_0.KennisgevingAntwoord)
      if (o.antwoord === "openstaande_vorderingen" && leeg(o.klantnummerSE) && !factuurnummers.length) {
        fouten.push([pad(["klantnummerSE"]), "klantnummerSE of minstens één factuurnummer is verplicht bij antwoord 'openstaande_vorderingen' (4.1)"]);
      }
      if (o.antwoord === "geen_openstaande_vorderingen" && factuurnummers.length) {
        fouten.push([pad(["factuurnummers"]), "factuurnummers moet leeg zijn bij antwoord 'geen_openstaande_vorderingen'; zijn er wel openstaande vorderingen, antwoord dan 'openstaande_vorderingen'"]);
      }
    } else if (leeg(o.klantnummerSE) && !factuurnummers.length) {
      fouten.push([pad(["klantnummerSE"]), "klantnummerSE of minstens één factuurnummer is verplicht (4.1)"]);
    }
    return fouten.concat(dubbele(factuurnummers, "factuurnummers", pad));
  },
  "#statusbericht": (o, _e, pad) => {
    const fouten = [];
    if (MELDPLICHTIGE_STATUSSEN.has(o.status) && leeg(o.datumGebeurtenis)) fouten.push([pad(["datumGebeurtenis"]), `datumGebeurtenis is verplicht bij status ${pyRepr(o.status)} (13.2, 13.3)`]);
    if (o.status === "overig" && leeg(o.toelichting)) fouten.push([pad(["toelichting"]), "toelichting is verplicht bij status 'overig'"]);
    return fouten;
  },
  "#melding_bewind_antwoord": (o, _e, pad) => dubbele((o.vorderingen || []).map((v) => v.factuurnummerSE), "vorderingen", pad),
  "#gebeurtenis": (o, _e, pad) => {
    const fouten = [];
    if (AFWIJZINGEN.has(o.gebeurtenis) && leeg(o.toelichting)) fouten.push([pad(["toelichting"]), `toelichting is verplicht bij gebeurtenis ${pyRepr(o.gebeurtenis)}: zeg waarom`]);
    if (o.gebeurtenis === "pro_forma_afgegeven" && leeg(o.proFormaBorgstelling)) fouten.push([pad(["proFormaBorgstelling"]), "proFormaBorgstelling is verplicht bij gebeurtenis 'pro_forma_afgegeven'"]);
    if (o.gebeurtenis !== "pro_forma_afgegeven" && !leeg(o.proFormaBorgstelling)) fouten.push([pad(["proFormaBorgstelling"]), "proFormaBorgstelling hoort alleen bij gebeurtenis 'pro_forma_afgegeven'"]);
    return fouten;
  },
  "#verzoek_kredietinformatie": (o, _e, pad) =>
    !leeg(o.laatsteAanlevering) && o.laatsteAanlevering > o.peildatum ? [[pad(["laatsteAanlevering"]), `laatsteAanlevering (${o.laatsteAanlevering}) ligt na de peildatum (${o.peildatum})`]] : [],
  "#kredietinformatie": (o, _e, pad) => {
    const fouten = [];
    const gezien = new Set();
    (o.kredieten || []).forEach((k, i) => {
      if (gezien.has(k.kenmerk)) fouten.push([pad(["kredieten", i, "kenmerk"]), `kenmerk ${pyRepr(k.kenmerk)} staat meer dan eens in kredieten`]);
      gezien.add(k.kenmerk);
      if (k.uitbetaaldatum > o.peildatum) fouten.push([pad(["kredieten", i, "uitbetaaldatum"]), `uitbetaaldatum (${k.uitbetaaldatum}) ligt na de peildatum (${o.peildatum})`]);
      const laatste = k.betalingen && k.betalingen.laatsteAflosdatum;
      if (!leeg(laatste) && !(k.uitbetaaldatum <= laatste && laatste <= o.peildatum)) {
        fouten.push([pad(["kredieten", i, "betalingen", "laatsteAflosdatum"]), `laatsteAflosdatum (${laatste}) moet tussen de uitbetaaldatum (${k.uitbetaaldatum}) en de peildatum (${o.peildatum}) liggen`]);
      }
    });
    return fouten;
  },
};

function nietHogerDan(o, veld, grens, pad) {
  return o[veld] > o[grens] ? [[pad([veld]), `${veld} (${o[veld]}) is hoger dan ${grens} (${o[grens]})`]] : [];
}

// betalingsregeling.voorwaarden_fouten: a BR carries its term fields and no HF fields, an HF the reverse.
const BR_VELDEN = ["termijnbedrag", "aantalTermijnen", "eersteBetaaldatum"];
const HF_VELDEN = ["uitbetaaldatum", "financier"];
const SOORT = { BR: "betalingsregeling in termijnen", HF: "herfinanciering ineens" };

function voorwaarden(o, pad) {
  const type = o.typeSchuldregeling;
  const [verplicht, verboden] = type === "BR" ? [BR_VELDEN, HF_VELDEN] : [HF_VELDEN, BR_VELDEN];
  const anders = type === "BR" ? "HF" : "BR";
  const fouten = [];
  for (const veld of verplicht) if (leeg(o[veld])) fouten.push([pad([veld]), `${veld} is verplicht bij typeSchuldregeling ${pyRepr(type)} (${SOORT[type]})`]);
  for (const veld of verboden) {
    if (!leeg(o[veld])) fouten.push([pad([veld]), `${veld} hoort bij typeSchuldregeling ${pyRepr(anders)} (${SOORT[anders]}), niet bij ${pyRepr(type)}; laat het weg`]);
  }
  return fouten;
}

// schuldregeling.totalen_fouten: the betaalvoorstel's counts and sums are those of its vorderingen.
function totalen(o, pad) {
  const vorderingen = o.vorderingen || [];
  const preferent = vorderingen.filter((v) => v.preferent);
  const concurrent = vorderingen.filter((v) => !v.preferent);
  const som = (l) => l.reduce((s, v) => s + v.bedrag, 0);
  const fouten = [];
  for (const [veld, verwacht] of [["aantalPreferent", preferent.length], ["bedragPreferent", som(preferent)], ["aantalConcurrent", concurrent.length], ["bedragConcurrent", som(concurrent)]]) {
    if (o[veld] !== verwacht) {
      const soort = veld.includes("Preferent") ? "preferente" : "concurrente";
      const wat = veld.startsWith("aantal") ? "het aantal" : "de som van de bedragen van de";
      fouten.push([pad([veld]), `${veld} (${o[veld]}) moet gelijk zijn aan ${wat} ${soort} vorderingen (${verwacht})`]);
    }
  }
  if (!vorderingen.some((v) => v.eigenVordering)) {
    fouten.push([pad(["vorderingen"]), "minstens één vordering moet eigenVordering zijn: het voorstel gaat over de vorderingen van de ontvanger"]);
  }
  return fouten;
}

function betaalvoorstel(o, eigen, pad) {
  const fouten = totalen(o, pad);
  if ("termijnbedrag" in eigen) {
    // module betalingsregeling: every debt in full, the BR's number of terms
    (o.vorderingen || []).forEach((v, i) => {
      if (v.aangebodenBedrag !== v.bedrag) {
        fouten.push([pad(["vorderingen", i, "aangebodenBedrag"]), `aangebodenBedrag (${v.aangebodenBedrag}) moet gelijk zijn aan bedrag (${v.bedrag}): een betalingsregeling of herfinanciering betaalt elke vordering voor 100 %`]);
      }
    });
    fouten.push(...voorwaarden(o, pad));
    if (o.typeSchuldregeling === "BR" && !leeg(o.termijnbedrag) && !leeg(o.aantalTermijnen)) {
      const eigenSom = (o.vorderingen || []).filter((v) => v.eigenVordering).reduce((s, v) => s + v.bedrag, 0);
      const nodig = Math.max(1, Math.ceil(eigenSom / o.termijnbedrag));
      if (o.aantalTermijnen !== nodig) {
        fouten.push([pad(["aantalTermijnen"]), `aantalTermijnen (${o.aantalTermijnen}) moet ${nodig} zijn: zoveel termijnen van ${o.termijnbedrag} eurocent zijn nodig om uw vorderingen (${eigenSom} eurocent) voor 100 % te betalen, de laatste termijn voor het restant`]);
      }
    }
  } else if (o.typeSchuldregeling === "SA" && o.afloscapaciteitPerMaand !== 0) {
    fouten.push([pad(["afloscapaciteitPerMaand"]), `afloscapaciteitPerMaand moet 0 zijn bij typeSchuldregeling 'SA' (schuldregeling zonder afloscapaciteit), niet ${o.afloscapaciteitPerMaand}; is er wel afloscapaciteit, kies dan 'SB' of 'SK'`]);
  }
  return fouten;
}

function oplopend(lijst, veld, pad, melding) {
  const fouten = [];
  for (let i = 1; i < lijst.length; i++) if (lijst[i].datum <= lijst[i - 1].datum) fouten.push([pad([veld, i, "datum"]), melding]);
  return fouten;
}

function geaccordeerd(o, eigen, pad, ctx) {
  const vorderingen = o.vorderingen || [];
  const prognose = vorderingen.reduce((s, v) => s + v.prognoseEindbedrag, 0);
  const fouten = [];
  if ("betaalschema" in eigen) {
    // 1.0: betaalschema
    const schema = o.betaalschema || [];
    fouten.push(...oplopend(schema, "betaalschema", pad, "de termijnen van betaalschema moeten op datum oplopen, zonder dubbele datums"));
    const totaal = schema.reduce((s, t) => s + t.bedrag, 0);
    if (totaal !== prognose) fouten.push([pad(["betaalschema"]), `de termijnen van betaalschema (${totaal}) moeten samen gelijk zijn aan de som van prognoseEindbedrag van de vorderingen (${prognose})`]);
    return fouten.concat(dubbele(vorderingen.map((v) => v.betaalreferentie), "vorderingen", pad));
  }
  const momenten = o.uitbetaalmomenten || [];
  fouten.push(...oplopend(momenten, "uitbetaalmomenten", pad, "de uitbetaalmomenten moeten op datum oplopen, zonder dubbele datums"));
  const totaal = momenten.reduce((s, m) => s + m.bedrag, 0);
  if (totaal !== prognose) fouten.push([pad(["uitbetaalmomenten"]), `de uitbetaalmomenten (${totaal}) moeten samen gelijk zijn aan de som van prognoseEindbedrag van de vorderingen (${prognose}); bedragen in eurocenten`]);
  fouten.push(...dubbele(vorderingen.map((v) => v.betaalreferentie), "vorderingen", pad));
  if (ctx.module === "betalingsregeling") {
    vorderingen.forEach((v, i) => {
      if (v.afkooppercentage !== 100) fouten.push([pad(["vorderingen", i, "afkooppercentage"]), `afkooppercentage moet 100 zijn, niet ${pyGetal(v.afkooppercentage)}: een betalingsregeling of herfinanciering betaalt elke vordering voor 100 %`]);
      if (v.prognoseEindbedrag !== v.actueelVorderingsbedrag) fouten.push([pad(["vorderingen", i, "prognoseEindbedrag"]), `prognoseEindbedrag (${v.prognoseEindbedrag}) moet gelijk zijn aan actueelVorderingsbedrag (${v.actueelVorderingsbedrag}): elke vordering wordt voor 100 % betaald`]);
    });
    if (o.typeSchuldregeling === "HF" && momenten.length !== 1) fouten.push([pad(["uitbetaalmomenten"]), `een herfinanciering (HF) wordt ineens betaald: geef precies één uitbetaalmoment, niet ${momenten.length}`]);
  }
  return fouten;
}

// Python's str() of a float (a Percentage is a float: 30 is 30.0).
function pyGetal(w) {
  return Number.isInteger(w) ? `${w}.0` : String(w);
}

// The number of decimals Python's Decimal(str(w)) has (velden._twee_decimalen).
function decimalen(w) {
  const [mantisse, exponent = "0"] = String(w).toLowerCase().split("e");
  const na = mantisse.includes(".") ? mantisse.split(".")[1].length : 0;
  return na - Number(exponent);
}

function adreskeuze(o, eigen, pad) {
  if (!("adreskeuze" in eigen)) return [];
  if (o.adreskeuze === "postadres" && leeg(o.postadres)) return [[pad(["postadres"]), "postadres is verplicht bij adreskeuze 'postadres'"]];
  if (o.adreskeuze !== "postadres" && !leeg(o.postadres)) {
    return [[pad(["postadres"]), `postadres hoort alleen bij adreskeuze 'postadres', niet bij ${pyRepr(o.adreskeuze)}; laat het weg of kies adreskeuze 'postadres'`]];
  }
  return [];
}

// waarborgfonds.Voorbeoordeling and its aanvragen: amounts against the gross credit, statistics once.
function aanvraag(o, _eigen, pad, ctx) {
  const fouten = [];
  if (!leeg(o.nettoKredietsom) && o.nettoKredietsom > o.brutoKredietsom) fouten.push([pad(["nettoKredietsom"]), `nettoKredietsom (${o.nettoKredietsom}) mag niet hoger zijn dan brutoKredietsom (${o.brutoKredietsom}); bedragen in eurocenten`]);
  if (!leeg(o.maandaflossing) && o.maandaflossing > o.brutoKredietsom) fouten.push([pad(["maandaflossing"]), `maandaflossing (${o.maandaflossing}) mag niet hoger zijn dan brutoKredietsom (${o.brutoKredietsom}); bedragen in eurocenten`]);
  if (ctx.berichttype !== "voorbeoordeling") {
    const gezien = new Set();
    (o.statistieken || []).forEach((st, i) => {
      const sleutel = JSON.stringify([st.code, st.waarde ?? null]);
      if (gezien.has(sleutel)) fouten.push([pad(["statistieken", i]), `statistiek ${pyRepr(st.code)} met waarde ${leeg(st.waarde) ? "None" : pyRepr(st.waarde)} staat er meer dan eens in`]);
      gezien.add(sleutel);
    });
  }
  if (ctx.berichttype === "aanvraag_overname" && o.uitstaandSaldo > o.brutoKredietsom) {
    fouten.push([pad(["uitstaandSaldo"]), `uitstaandSaldo (${o.uitstaandSaldo}) mag niet hoger zijn dan brutoKredietsom (${o.brutoKredietsom}); bedragen in eurocenten`]);
  }
  return fouten;
}

// pauzeknop.plus_maanden: whole calendar months, on a shorter month its last day.
function plusMaanden(iso, maanden) {
  const [j, m, d] = iso.split("-").map(Number);
  const totaal = m - 1 + maanden;
  const jaar = j + Math.floor(totaal / 12);
  const maand = (totaal % 12) + 1;
  const laatste = new Date(Date.UTC(jaar, maand, 0)).getUTCDate();
  return `${String(jaar).padStart(4, "0")}-${String(maand).padStart(2, "0")}-${String(Math.min(d, laatste)).padStart(2, "0")}`;
}

function saldoverzoekAntwoord(o, eigen, pad, ctx) {
  const fouten = [];
  if ("openstaandeSchulden" in eigen) {
    // module saldoverzoek: exactly one of three
    const n = [o.vorderingen, o.totaalvordering, o.openstaandeSchulden].filter((v) => !leeg(v)).length;
    if (n !== 1) fouten.push([pad(["vorderingen"]), `geef precies één van vorderingen (gematcht, per factuur), totaalvordering of openstaandeSchulden (ongematchte schulden); nu ${n} gegeven`]);
  } else {
    if (leeg(o.vorderingen) === leeg(o.totaalvordering)) {
      fouten.push([pad(["vorderingen"]), "geef óf vorderingen (per vordering) óf een totaalvordering, niet beide en niet geen van beide (6.2)"]);
    }
  }
  if (o.vorderingen && o.vorderingen.length) fouten.push(...dubbele(o.vorderingen.map((v) => v.factuurnummerSE), "vorderingen", pad));
  if (!("openstaandeSchulden" in eigen) && !leeg(o.totaalvordering) && o.totaalvordering.standaardAkkoord !== (ctx.berichttype === "saldoverzoek_antwoord_standaard_akkoord")) {
    fouten.push([pad(["totaalvordering", "standaardAkkoord"]), "standaardAkkoord moet true zijn in saldoverzoek_antwoord_standaard_akkoord (7.1) en false in saldoverzoek_antwoord (7.3)"]);
  }
  return fouten;
}

// A value's own check by its field (velden.py's field types and the models' field validators).
function veldcontrole(naam, w, s, ctx) {
  if (typeof w === "number" && s && s.type === "number" && s.maximum === 100 && decimalen(w) > 2) {
    return `percentage ${pyGetal(w)} mag hoogstens twee decimalen hebben`;
  }
  if (typeof w !== "string") return null;
  if (naam === "postcodeGebied" && !/^[1-9][0-9]{3}$/.test(w)) return `postcodeGebied ${pyRepr(w)} moet de vier cijfers van een Nederlandse postcode zijn, zonder letters (bijv. 3511)`;
  const beschrijving = (s && s.description) || "";
  if (naam === "bsn" || beschrijving.startsWith("Burgerservicenummer")) return bsnFout(w);
  if (naam === "iban" || beschrijving.startsWith("IBAN")) return ibanFout(w);
  if (naam === "postcode" || beschrijving.startsWith("Nederlandse postcode")) return postcodeFout(w);
  if (naam === "telefoon") return telefoonFout(w);
  if (naam === "email") return emailFout(w);
  if (naam === "huisletter" && !/^[A-Za-z]$/.test(w)) return `huisletter ${pyRepr(w)} moet één letter zijn (A-Z)`;
  if (naam === "huisnummertoevoeging" && !/^[A-Za-z0-9]+$/.test(w)) return `huisnummertoevoeging ${pyRepr(w)} mag alleen letters en cijfers bevatten`;
  if (ISO.test(w) && naam === "geboortedatum") {
    if (w > ctx.vandaag) return `geboortedatum ${w} ligt in de toekomst`;
    if (w < "1900-01-01") return `geboortedatum ${w} ligt voor 1900-01-01`;
  }
  if (ISO.test(w) && VERLEDEN.has(naam) && w > ctx.vandaag) return `datum ${w} ligt in de toekomst`;
  const patroon = (s && s.pattern) || "";
  // velden._code (Code35/40/50, a klantnummer, a kenmerk, a bestandsnaam): printable, no spaces at
  // the ends — JSON Schema's pattern lets a tab or a non-breaking space inside through.
  if (patroon === CODEPATROON && ([...w].some((t) => NIET_AFDRUKBAAR.test(t)) || pyStrip(w) !== w)) {
    return `${pyRepr(w)} mag geen spaties aan begin of eind en geen tabs of regeleinden bevatten`;
  }
  // PdfDocument's bestandsnaam: a file name, without a folder.
  if (naam === "bestandsnaam" && /[\\/]/.test(w)) return `bestandsnaam ${pyRepr(w)} mag geen map bevatten (geen / of \\)`;
  // velden._tekst (Tekst20 … Tekst10000): more than Python's whitespace (which JSON Schema's \S
  // counts differently: \x1c-\x1f and \x85 are whitespace to Python only).
  if (patroon === "\\S" && [...w].every((t) => PY_SPATIE.test(t))) return "mag niet alleen uit spaties bestaan";
  // velden._pdf_inhoud: base64 as Python decodes it (validate=True: whole groups of four), a PDF.
  if (s && s.contentMediaType === "application/pdf") {
    if (w.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(w)) {
      return "inhoud is geen geldige base64 (RFC 4648: A-Z, a-z, 0-9, + en /, met = als opvulling, zonder spaties of regeleinden)";
    }
    let kop = "";
    try {
      kop = atob(w.slice(0, 8));
    } catch {
      kop = "";
    }
    if (!kop.startsWith("%PDF-")) return "inhoud is geen PDF: een PDF-bestand begint met %PDF-";
  }
  return null;
}

const CODEPATROON = "^\\S(.*\\S)?(?![\\s\\S])";

// Python's str.strip(): Python's whitespace off both ends.
function pyStrip(w) {
  const tekens = [...w];
  let begin = 0;
  let eind = tekens.length;
  while (begin < eind && PY_SPATIE.test(tekens[begin])) begin++;
  while (eind > begin && PY_SPATIE.test(tekens[eind - 1])) eind--;
  return tekens.slice(begin, eind).join("");
}

// --- walking the payload beside its schema ------------------------------------------------------------

function oplos(s, wortel) {
  let naam = null;
  for (let n = 0; n < 10 && s; n++) {
    if (s.$ref) {
      naam = s.$ref.split("/").pop();
      s = s.$ref.split("/").slice(1).reduce((o, d) => (o ? o[d] : undefined), wortel);
      continue;
    }
    const keuzes = s.anyOf || s.oneOf;
    if (keuzes && !s.properties && !s.items) {
      const echt = keuzes.filter((k) => k.type !== "null");
      if (echt.length === 1) {
        s = echt[0];
        continue;
      }
    }
    break;
  }
  return [s, naam];
}

// "vorderingen[0].actueelBedrag" from ["vorderingen", 0, "actueelBedrag"] (fouten.pad).
export function padTekst(delen) {
  let t = "";
  for (const d of delen) t += typeof d === "number" ? `[${d}]` : t ? `.${d}` : d;
  return t || "inhoud";
}

// Every error of these checks: [{veld: "vorderingen[0].actueelBedrag", reden: "…"}].
export function controleer(payload, schema, berichttype, vandaag) {
  const [, module = "", , versie = ""] = /^urn:knooppunt:payload:([^:]+):([^:]+):(.+)$/.exec(schema.$id || "") || [];
  const ctx = { module, versie, berichttype, vandaag: vandaag || new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Amsterdam", year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date()) };
  const fouten = [];
  const loop = (w, s, naam, plaats) => {
    const [opgelost, defnaam] = oplos(s, schema);
    const eigenNaam = plaats.length ? defnaam : `#${berichttype}`;
    if (Array.isArray(w)) {
      const items = opgelost && opgelost.items;
      w.forEach((x, i) => loop(x, items, naam, [...plaats, i]));
      return;
    }
    if (w && typeof w === "object") {
      const eigen = (opgelost && opgelost.properties) || {};
      const pad = (rest) => padTekst([...plaats, ...rest]);
      const veldfouten = fouten.length;
      for (const [k, v] of Object.entries(w)) loop(v, eigen[k], k, [...plaats, k]);
      // pydantic runs a model's own validator only when its fields are valid
      const regel = REGELS[eigenNaam];
      if (regel && fouten.length === veldfouten) for (const [veld, reden] of regel(w, eigen, pad, ctx)) fouten.push({ veld, reden });
      return;
    }
    const reden = veldcontrole(naam, w, opgelost, ctx);
    if (reden) fouten.push({ veld: padTekst(plaats), reden });
  };
  loop(payload, schema, "", []);
  return fouten;
}
