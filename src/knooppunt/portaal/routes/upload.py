"""Uploading answers (art. 18, DESIGN §7): several ``.csv`` files at once, at most 4 MiB each,
read in memory — never written to disk or database (18.3d) — validated completely and dry-run
against every hub rule; one error anywhere and nothing is sent (18.3c), else everything is sent in
one all-or-nothing batch.

Starlette's own form parser spools a file above 1 MB to a temporary file, so this route parses the
multipart body itself, with python-multipart's streaming parser, into a bytes buffer per file that
stops growing at the limit. The CSRF check then reads the token from what was parsed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

import structlog
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.datastructures import FormData, UploadFile

from knooppunt.hub import adresboek
from knooppunt.portaal import app as portaal_app
from knooppunt.portaal import csvformaat, csvimport, csvindeling, dossiers, export, zegelen
from knooppunt.portaal.browsersleutels import naar_werkplek, weiger_op_de_server
from knooppunt.portaal.fouten import PortaalFout
from knooppunt.portaal.gastclient import GeenSleutel
from knooppunt.portaal.routes.ontvangen import client_voor
from knooppunt.portaal.sessies import Beantwoorder, Csrf, Gebruiker, huidige
from knooppunt.portaal.weergave import pagina
from knooppunt.protocol.catalogus import CATALOGUS, Rol

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

router = APIRouter()
log = structlog.get_logger("knooppunt.portaal")
MAX_VELD_BYTES = 1024
"""A text field of the form (only the CSRF token): nothing else is read."""
MAX_VELDEN = 20
TABEL_TOT = 10_000
"""Up to this many errors the page lists them in one table, a row per error; above it (a file whose
every row is wrong in several cells: 120,000 errors in 4 MB, some 27 MB as a table) per file one line
per error, the same error in several rows on one line with those rows — every error still shown by
file, row and column (18.3c), never a part of them."""


@dataclass
class _Deel:
    naam: str
    bestandsnaam: str | None
    data: bytearray = field(default_factory=bytearray)
    grootte: int = 0
    te_groot: bool = False


@dataclass
class Formulier:
    """What the upload form carried: files (in memory), the text fields, what was wrong."""

    bestanden: list[csvformaat.Bestand] = field(default_factory=list)
    velden: list[tuple[str, str | UploadFile]] = field(default_factory=list)
    te_veel: int = 0
    fout: str | None = None


def _max_bestanden() -> int:
    # Read at call time: portaal.app imports the routes, so it is still loading when this module is.
    return int(portaal_app.MAX_BESTANDEN)


def _max_bestand_bytes() -> int:
    return int(portaal_app.MAX_BESTAND_BYTES)


class _Verzamelaar:
    """python-multipart callbacks: each part into its own capped bytes buffer."""

    def __init__(self) -> None:
        self.delen: list[_Deel] = []
        self.bestanden = 0
        self.te_veel = 0
        self._kopveld = bytearray()
        self._kopwaarde = bytearray()
        self._koppen: dict[bytes, bytes] = {}
        self._deel: _Deel | None = None

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._begin,
            "on_header_field": lambda data, start, end: self._kopveld.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self._kopwaarde.extend(data[start:end]),
            "on_header_end": self._kop_einde,
            "on_headers_finished": self._koppen_klaar,
            "on_part_data": self._data,
        }

    def _begin(self) -> None:
        self._koppen = {}
        self._deel = None

    def _kop_einde(self) -> None:
        self._koppen[bytes(self._kopveld).lower()] = bytes(self._kopwaarde)
        self._kopveld.clear()
        self._kopwaarde.clear()

    def _koppen_klaar(self) -> None:
        _, opties = parse_options_header(self._koppen.get(b"content-disposition", b""))
        naam = opties.get(b"name", b"").decode("utf-8", "replace")
        bestandsnaam = opties.get(b"filename")
        if bestandsnaam is None:
            if len(self.delen) - self.bestanden >= MAX_VELDEN:
                return
            self._deel = _Deel(naam, None)
        else:
            # Only the name: some browsers send a path (C:\...\antwoorden.csv).
            kaal = bestandsnaam.decode("utf-8", "replace").replace("\\", "/").rsplit("/", 1)[-1]
            if not kaal:
                return  # the file input left empty
            self.bestanden += 1
            if self.bestanden > _max_bestanden():
                self.te_veel += 1
                return
            self._deel = _Deel(naam, kaal)
        self.delen.append(self._deel)

    def _data(self, data: bytes, start: int, end: int) -> None:
        deel = self._deel
        if deel is None:
            return
        deel.grootte += end - start
        grens = _max_bestand_bytes() if deel.bestandsnaam is not None else MAX_VELD_BYTES
        if deel.grootte > grens:
            # Past the limit: keep counting (to say how big it was), stop keeping.
            deel.te_groot = True
            deel.data.clear()
            return
        deel.data.extend(data[start:end])


async def lees_formulier(request: Request, gebruiker: Beantwoorder) -> Formulier:
    """Parse the multipart body in memory (after the login check, before the CSRF check)."""
    soort, opties = parse_options_header(request.headers.get("content-type", ""))
    formulier = Formulier()
    grens = opties.get(b"boundary")
    if soort != b"multipart/form-data" or not grens:
        formulier.fout = (
            "Het formulier kwam niet goed aan. Kies de bestanden opnieuw en probeer het nog eens."
        )
    else:
        verzamelaar = _Verzamelaar()
        try:
            parser = MultipartParser(grens, verzamelaar.callbacks())
            async for stuk in request.stream():
                parser.write(stuk)
            parser.finalize()
        except (FormParserError, ValueError):
            formulier.fout = (
                "Het formulier kwam niet goed aan. Kies de bestanden opnieuw en probeer het nog eens."
            )
        else:
            for deel in verzamelaar.delen:
                if deel.bestandsnaam is None:
                    if not deel.te_groot:
                        formulier.velden.append((deel.naam, deel.data.decode("utf-8", "replace")))
                else:
                    formulier.bestanden.append(
                        csvformaat.Bestand(deel.bestandsnaam, bytes(deel.data), deel.grootte, deel.te_groot)
                    )
            formulier.te_veel = verzamelaar.te_veel
    # The CSRF dependency takes the fields parsed here (request.state.formulier) instead of calling
    # request.form(), so that Starlette never parses (and spools) the body itself.
    request.state.formulier = FormData(formulier.velden)
    return formulier


Upload = Annotated[Formulier, Depends(lees_formulier)]


@dataclass
class Moduleuitleg:
    """What a participant answers and starts by upload in one version of one module."""

    module: str
    naam: str
    versie: str
    vragen: list[tuple[str, str, list[str]]]
    """(question name, file name in the download, names of its answers)."""
    starten: list[tuple[str, str]]
    """(type name, template file name)."""


def moduleuitleg(request: Request, gebruiker: Gebruiker) -> list[Moduleuitleg]:
    """Per module and version the participant accepts (outside the handbook's 17.1 files): the
    questions it answers and the messages it may start by upload (DESIGN §7 "every module")."""
    client = client_voor(request, gebruiker)
    versies = client.lees(lambda session, _nu: adresboek.versies_per_module(client.deelnemer(session)))
    rol = gebruiker.rol or ""
    uit = []
    for module in CATALOGUS.modulecodes():
        for versie in versies.get(module, []):
            if csvindeling.is_handboek(module, versie):
                continue
            vragen = []
            for t in CATALOGUS.alle():
                if t.module != module or t.versie != versie or t.door_knooppunt or Rol(rol) not in t.naar:
                    continue
                antwoorden = csvindeling.antwoordtypen(module, versie, t.code)
                if antwoorden:
                    vragen.append(
                        (
                            t.naam,
                            csvindeling.bestandsnaam(module, versie, t.code),
                            [a.naam for a in antwoorden],
                        )
                    )
            starten = [
                (t.naam, f"{module}-{t.code}.csv")
                for t in csvindeling.starttypen(module, versie, rol)
                if Rol(rol) in t.van
            ]
            if vragen or starten:
                uit.append(Moduleuitleg(module, csvindeling.modulenaam(module), versie, vragen, starten))
    return uit


def _formulierpagina(
    request: Request,
    *,
    status_code: int = 200,
    fout: str | None = None,
    upload: csvformaat.Upload | None = None,
) -> HTMLResponse:
    gebruiker = huidige(request)
    modules = moduleuitleg(request, gebruiker) if gebruiker is not None and gebruiker.oin else []
    client = client_voor(request, gebruiker) if gebruiker is not None and gebruiker.oin else None
    versies = (
        client.lees(lambda session, _nu: adresboek.versies_per_module(client.deelnemer(session)))
        if client is not None
        else {}
    )
    # The handbook's files (art. 18.2) only for a participant that accepts a version that has them.
    handboek = client is None or any(csvindeling.is_handboek(m, v) for m, vs in versies.items() for v in vs)
    volgorde = {b.naam: i for i, b in enumerate(upload.bestanden)} if upload else {}
    # Every error, by file, row and column (DESIGN §7, 18.3c): none left out, however many.
    fouten = sorted(upload.fouten if upload else [], key=lambda f: (volgorde.get(f.bestand, 0), f.rij or 0))
    # Per file an anchor at its first error, for the list of files above the table.
    eerste: dict[str, int] = {}
    for index, f in enumerate(fouten):
        eerste.setdefault(f.bestand, index)
    ankers = {naam: f"fouten-{nummer}" for nummer, naam in enumerate(eerste, start=1)}
    return pagina(
        request,
        "upload/formulier.html",
        status_code=status_code,
        titel="Antwoorden uploaden" if not (fout or fouten) else "Upload niet verwerkt",
        soorten=csvformaat.SOORTEN if handboek else (),
        kennisgevingen=handboekvragen() if handboek else [],
        modules=modules,
        max_bestanden=_max_bestanden(),
        max_bytes=_max_bestand_bytes(),
        fout=fout,
        upload=upload,
        fouten=fouten if len(fouten) <= TABEL_TOT else [],
        groepen=csvformaat.gegroepeerd(fouten) if len(fouten) > TABEL_TOT else [],
        ankers=ankers,
        anker_bij={index: ankers[naam] for naam, index in eerste.items()},
        aantal_fouten=len(fouten),
        bestanden_met_fouten=len(eerste),
    )


def handboekvragen() -> list[tuple[str, str, list[str]]]:
    """The files of art. 17.1 that are answered through ``antwoord.berichttype`` (the kennisgevingen:
    *Klant gemeld voor SHV antwoord* or *Klant onbekend*, art. 4.1, 8.1): (question, file in the
    download, names of its answers)."""
    return [
        (
            soort.titel,
            soort.bestand,
            [t.naam for t in csvindeling.antwoordtypen(soort.module, soort.versie, soort.typen[0])],
        )
        for soort in export.EXPORTSOORTEN
        if soort.generiek and export.antwoordkolommen(soort)
    ]


@router.get("/upload", response_class=HTMLResponse)
def formulier(request: Request, gebruiker: Beantwoorder) -> Response:
    if (werkplek := naar_werkplek(request, gebruiker, "uploaden")) is not None:
        return werkplek
    return _formulierpagina(request)


def _niet_in_de_browser(request: Request, gebruiker: Beantwoorder) -> None:
    """Before the files are read: an organisation with keys in the browser uploads on the werkplek."""
    weiger_op_de_server(request, gebruiker, "antwoorden uploaden")


@router.post(
    "/upload",
    dependencies=[Depends(_niet_in_de_browser), Depends(lees_formulier), Csrf],
    response_class=HTMLResponse,
)
def upload(request: Request, gebruiker: Beantwoorder, formulier: Upload) -> HTMLResponse:
    if formulier.fout:
        return _formulierpagina(request, status_code=400, fout=formulier.fout)
    if formulier.te_veel:
        return _formulierpagina(
            request,
            status_code=400,
            fout=f"U koos {_max_bestanden() + formulier.te_veel} bestanden; upload er hoogstens "
            f"{_max_bestanden()} tegelijk. Er is niets verwerkt.",
        )
    if not formulier.bestanden:
        return _formulierpagina(
            request, status_code=400, fout="Kies ten minste één .csv-bestand om te uploaden."
        )
    resultaat = verwerk(request, gebruiker, formulier.bestanden)
    if resultaat.fouten:
        return _formulierpagina(request, status_code=422, upload=resultaat)
    if not resultaat.geplanden:
        return _formulierpagina(
            request,
            status_code=400,
            fout="Er is niets te versturen: in de bestanden staat bij geen enkele rij een antwoord. Vul de "
            "kolommen antwoord.* in en upload het bestand opnieuw.",
        )
    client = client_voor(request, gebruiker)
    return pagina(
        request,
        "upload/resultaat.html",
        titel="Antwoorden verstuurd" if resultaat.nieuw else "Alles was al verzonden",
        upload=resultaat,
        namen=client.namen({g.vraag.afzender for g in resultaat.geplanden if g.vraag is not None}),
        # Who each answer is about, from its own fields (in memory for this page only).
        klanten={
            g.referentienummer: dossiers.klant_uit_payload(g.model.model_dump(mode="json", exclude_none=True))
            for g in resultaat.geplanden
        },
    )


def verwerk(request: Request, gebruiker: Gebruiker, bestanden: list[csvformaat.Bestand]) -> csvformaat.Upload:
    """Read, validate, dry-run and — only when nothing at all is wrong — submit (art. 18.3c);
    answers sent before (same number) are skipped as already sent (DESIGN §7). Logs counts and
    durations only: never a file name, a cell or a number."""
    tijden: dict[str, float] = {}
    begin = time.perf_counter()
    resultaat = csvimport.lees(bestanden)
    tijden["lezen_s"] = time.perf_counter() - begin
    client = client_voor(request, gebruiker)
    if not resultaat.fouten:
        zegelen.warm_op(len(resultaat.geplanden))  # the sealing workers start during the dry run
    try:
        if resultaat.geplanden:
            stap = time.perf_counter()
            csvimport.controleer(client, resultaat)
            tijden["controleren_s"] = time.perf_counter() - stap
        if not resultaat.fouten and resultaat.geplanden:
            stap = time.perf_counter()
            csvimport.verstuur(client, resultaat)
            tijden["versturen_s"] = time.perf_counter() - stap
    except GeenSleutel as exc:
        raise PortaalFout(f"Het portaal kan niet namens u versturen: {exc}.", status=409) from exc
    log.info(
        "upload",
        oin=gebruiker.oin,
        bestanden=len(bestanden),
        bytes=sum(b.grootte for b in bestanden),
        berichten=len(resultaat.geplanden),
        al_verzonden=len(resultaat.al_verzonden),
        fouten=len(resultaat.fouten),
        verstuurd=not resultaat.fouten and bool(resultaat.geplanden),
        totaal_s=round(time.perf_counter() - begin, 3),
        **{k: round(v, 3) for k, v in tijden.items()},
    )
    return resultaat


@router.get("/upload/sjabloon/{naam}")
def sjabloon(naam: str, gebruiker: Beantwoorder) -> Response:
    """An empty file of one kind: the header row (``;``, UTF-8 with BOM)."""
    soort = next((s for s in csvformaat.SOORTEN if s.sjabloon == naam), None)
    if soort is not None:
        kolommen = list(dict.fromkeys((*soort.sleutels, *soort.kolommen)))
    else:
        # ``<module>-<berichttype>.csv``: a message this role starts itself, in the module's newest version
        module, _, rest = naam.partition("-")
        code = rest.removesuffix(".csv")
        versie = csvindeling.hoogste_versie(module, code) if rest.endswith(".csv") else None
        gevonden = CATALOGUS.zoek(module, code, versie) if versie else None
        if gevonden is None or gevonden not in csvindeling.starttypen(
            module, gevonden.versie, gebruiker.rol or "SE"
        ):
            raise PortaalFout("Dit sjabloon bestaat niet.", status=404, titel="Niet gevonden")
        kolommen = csvindeling.startkolommen(module, code, gevonden.versie)
    inhoud = (";".join(kolommen) + "\r\n").encode("utf-8-sig")
    return Response(
        content=inhoud,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{naam}"'},
    )
