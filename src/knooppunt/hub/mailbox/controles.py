"""The checks of a submitted envelope that are the mailbox's own (DESIGN §2–§4); the catalogue's
named conditions are in `hub.regels`. Each decides from the envelope and the records it is given
and asks no query of its own: `toelating` asks its view of the database for the facts and runs
these in their order."""

from __future__ import annotations

from datetime import datetime

from knooppunt.hub import adresboek
from knooppunt.hub.mailbox.envelop import Envelop, Instellingen, R, weigering
from knooppunt.hub.regels import is_verlopen
from knooppunt.protocol.catalogus import CATALOGUS, Berichttype
from knooppunt.protocol.jwe import OngeldigeJwe, alg_past_bij_sleutel, kid_naar_vingerafdruk, lees_kop
from knooppunt.store.models import Deelnemer


def herhaling(bestaand: R, afzender: Deelnemer, envelop_hash: str) -> R:
    """A number already in use: the same envelope again is a retry, anything else a conflict."""
    if bestaand.afzender == afzender.oin and bestaand.envelop_hash == envelop_hash:
        return bestaand
    raise weigering(
        "REFERENTIENUMMER_CONFLICT",
        409,
        f"referentienummer {bestaand.referentienummer} is al gebruikt voor een ander bericht; "
        "gebruik voor elk nieuw bericht een nieuw UUID (hetzelfde alleen bij een herhaalde poging)",
        "referentienummer",
    )


def berichttype_van(envelop: Envelop) -> Berichttype:
    if CATALOGUS.zoek(envelop.module, envelop.berichttype) is None:
        andere = [t.module for t in CATALOGUS.per_code(envelop.berichttype)]
        vervanging = CATALOGUS.vervanging(envelop.module, envelop.berichttype)
        if andere:
            raise weigering(
                "ONBEKEND_BERICHTTYPE",
                422,
                f"berichttype '{envelop.berichttype}' hoort bij module {', '.join(andere)}, "
                f"niet bij '{envelop.module}'" + (f"; {vervanging}" if vervanging else ""),
                "berichttype" if vervanging else "module",
            )
        raise weigering(
            "ONBEKEND_BERICHTTYPE",
            422,
            f"berichttype '{envelop.berichttype}' in module '{envelop.module}' bestaat niet; "
            "zie /api/v1/berichttypen",
            "berichttype",
        )
    berichttype = CATALOGUS.zoek(envelop.module, envelop.berichttype, envelop.versie)
    if berichttype is None:
        versies = CATALOGUS.versies(envelop.module, envelop.berichttype)
        vervanging = CATALOGUS.vervanging(envelop.module, envelop.berichttype, envelop.versie)
        if vervanging:
            # An answer stays in its question's version (DESIGN §3a): naming the version the old
            # type exists in would send the user to a version its question is not in.
            raise weigering(
                "ONBEKENDE_VERSIE",
                422,
                f"'{envelop.berichttype}' bestaat niet in versie '{envelop.versie}' van module "
                f"'{envelop.module}': {vervanging}. Een antwoord blijft in de versie van zijn vraag; "
                f"beantwoord een vraag uit versie {', '.join(versies)} met '{envelop.berichttype}' in "
                "die versie",
                "berichttype",
            )
        raise weigering(
            "ONBEKENDE_VERSIE",
            422,
            f"'{envelop.berichttype}' bestaat niet in versie '{envelop.versie}' van module "
            f"'{envelop.module}'; het bestaat in versie {', '.join(versies)}",
            "versie",
        )
    return berichttype


def controleer_afzender(berichttype: Berichttype, afzender: Deelnemer) -> None:
    if berichttype.door_knooppunt or afzender.rol not in berichttype.van:
        rollen = ", ".join(sorted(r.value for r in berichttype.van))
        raise weigering(
            "ROL_NIET_TOEGESTAAN",
            422,
            f"'{berichttype.code}' wordt verstuurd door {rollen}; u bent {afzender.rol}",
            "berichttype",
        )
    if berichttype.module not in adresboek.modules_van(afzender):
        raise weigering(
            "MODULE_NIET_ACTIEF",
            422,
            f"u neemt niet deel aan module '{berichttype.module}'; meld u daarvoor aan bij de beheerder",
            "module",
        )


def controleer_ontvanger(
    berichttype: Berichttype, afzender: Deelnemer, ontvanger: Deelnemer | None, envelop: Envelop
) -> Deelnemer:
    """The recipient (``ontvanger``, None when the adresboek has no such OIN), or a refusal."""
    if ontvanger is None:
        raise weigering(
            "ONBEKENDE_ONTVANGER",
            422,
            f"OIN {envelop.ontvanger} staat niet in het adresboek; deze partij is niet via het knooppunt "
            "bereikbaar, gebruik een ander kanaal",
            "ontvanger",
        )
    if ontvanger.rol not in berichttype.naar:
        rollen = ", ".join(sorted(r.value for r in berichttype.naar))
        raise weigering(
            "ROL_NIET_TOEGESTAAN",
            422,
            f"'{berichttype.code}' gaat naar {rollen}; {ontvanger.naam} is {ontvanger.rol}",
            "ontvanger",
        )
    if berichttype.module not in adresboek.modules_van(ontvanger):
        raise weigering(
            "MODULE_NIET_ACTIEF",
            422,
            f"{ontvanger.naam} neemt niet deel aan module '{berichttype.module}'; gebruik een ander kanaal",
            "ontvanger",
        )
    controleer_versie(berichttype, afzender, ontvanger, envelop)
    return ontvanger


def controleer_versie(
    berichttype: Berichttype, afzender: Deelnemer, ontvanger: Deelnemer, envelop: Envelop
) -> None:
    """DESIGN §3a: a message that names no other must be in a version both parties accept; an
    answer or reference carries its question's version and is never refused for it."""
    if envelop.cross_referentienummer is not None:
        return
    eigen = adresboek.versies_van(afzender, berichttype.module)
    andere = adresboek.versies_van(ontvanger, berichttype.module)
    if berichttype.versie in eigen and berichttype.versie in andere:
        return
    beide = [v for v in eigen if v in andere]
    raise weigering(
        "VERSIE_NIET_ONDERSTEUND",
        422,
        f"versie {berichttype.versie} van module '{berichttype.module}' wordt niet ondersteund door "
        + ("u" if berichttype.versie not in eigen else ontvanger.naam)
        + (
            f"; u en {ontvanger.naam} ondersteunen beide versie {', '.join(beide)}"
            if beide
            else f"; u en {ontvanger.naam} hebben geen versie van deze module gemeen"
        ),
        "versie",
    )


def controleer_inhoud(
    envelop: Envelop, ontvanger: Deelnemer, instellingen: Instellingen, nu: datetime
) -> None:
    """DESIGN §5: the JWE's protected header names a current encryption key of the recipient."""
    try:
        kop = lees_kop(envelop.inhoud, max_bytes=instellingen.max_inhoud_bytes)
    except OngeldigeJwe as exc:
        status = 413 if "maximum" in str(exc) else 400
        raise weigering("ONGELDIGE_INHOUD", status, f"inhoud {exc}", "inhoud") from exc
    vingerafdruk = kid_naar_vingerafdruk(kop.kid)
    cert = next((c for c in ontvanger.certificaten if c.vingerafdruk == vingerafdruk), None)
    if cert is None or not cert.gebruik_versleuteling or not adresboek.is_actueel(cert, nu):
        raise weigering(
            "ONGELDIGE_INHOUD",
            400,
            "inhoud is niet versleuteld voor een actueel versleutelcertificaat van de ontvanger "
            "(kid = x5t#S256 van dat certificaat); haal het certificaat opnieuw op uit het adresboek",
            "inhoud",
        )
    if not alg_past_bij_sleutel(kop.alg, cert.sleuteltype, cert.sleutelgrootte):
        raise weigering(
            "ONGELDIGE_INHOUD",
            400,
            f"alg {kop.alg} past niet bij de {cert.sleuteltype}-sleutel van de ontvanger "
            "(RSA: RSA-OAEP-256, P-256: ECDH-ES+A256KW)",
            "inhoud",
        )


def toegestane_eigenaren(afzender: Deelnemer, envelop: Envelop) -> tuple[str, str]:
    """The owners a conversation may have for this envelope (DESIGN §2: every message of a
    conversation is sent by or to its owner)."""
    return afzender.oin, envelop.ontvanger


def controleer_conversatie(afzender: Deelnemer, envelop: Envelop, eigenaar: str | None) -> None:
    """DESIGN §2: every message of a conversation is sent by or to its owner."""
    if eigenaar is not None and eigenaar not in toegestane_eigenaren(afzender, envelop):
        raise weigering(
            "ONGELDIGE_CONVERSATIE",
            422,
            "dit conversatieReferentienummer hoort bij een traject van een andere partij; "
            "begin een nieuw traject met een nieuw UUID",
            "conversatieReferentienummer",
        )


def verwijzing_richting(berichttype: Berichttype, afzender: Deelnemer, envelop: Envelop) -> tuple[str, str]:
    """(afzender, ontvanger) of the message a crossReferentienummer may name: a reminder names the
    sender's own question to this recipient (art. 15.1), an answer or a heroverweging a message it
    received from it."""
    if berichttype.verwijst_naar and not berichttype.verwijst_naar_ontvangen:
        return afzender.oin, envelop.ontvanger
    return envelop.ontvanger, afzender.oin


def zelfde_traject(vraag: R, envelop: Envelop) -> bool:
    """DESIGN §2, §3a: a message names only a message of its own conversation, module and version."""
    return (
        vraag.conversatie_referentienummer == envelop.conversatie_referentienummer
        and vraag.module == envelop.module
        and vraag.versie == envelop.versie
    )


def beoordeel_verwijzing(
    berichttype: Berichttype, envelop: Envelop, vraag: R | None, nu: datetime
) -> R | None:
    """The referenced message, or a refusal; ``vraag`` is the message the number names between
    these two parties in the direction of `verwijzing_richting` (None when there is none). An
    answer names a message that is not expired at `nu` (`regels.is_verlopen`)."""
    ref = envelop.cross_referentienummer
    if berichttype.verwijst_naar:
        # A reminder refers to the sender's own open question to this recipient (art. 15.1).
        if ref is None:
            return None
        if vraag is None or not zelfde_traject(vraag, envelop):
            return None
        return vraag
    if not berichttype.is_antwoord:
        if ref is not None:
            raise weigering(
                "ONGELDIG_ANTWOORD",
                422,
                f"'{berichttype.code}' beantwoordt geen bericht: laat crossReferentienummer leeg",
                "crossReferentienummer",
            )
        return None
    if ref is None:
        if berichttype.antwoord_verplicht_verwijzing:
            raise weigering(
                "ONGELDIG_ANTWOORD",
                422,
                f"'{berichttype.code}' is een antwoord: crossReferentienummer moet het bericht noemen "
                "dat u beantwoordt",
                "crossReferentienummer",
            )
        return None
    # One answer for every failure: nobody learns what others exchanged (DESIGN §3).
    if (
        vraag is None
        or not zelfde_traject(vraag, envelop)
        or not berichttype.beantwoordt_type(vraag.berichttype)
        or vraag.status == "geweigerd"
        or is_verlopen(vraag, nu)
    ):
        raise weigering(
            "ONGELDIG_ANTWOORD",
            422,
            f"crossReferentienummer {ref} is geen bericht dat u met '{berichttype.code}' kunt beantwoorden: "
            "het moet een niet-verlopen bericht zijn dat deze ontvanger u in deze conversatie stuurde, in "
            "dezelfde module en versie als dit antwoord, van type "
            + ", ".join(sorted(berichttype.beantwoordt)),
            "crossReferentienummer",
            reden="geen bericht dat u hiermee kunt beantwoorden",
        )
    return vraag


def controleer_open(ontvanger: Deelnemer, aantal_open: int, instellingen: Instellingen) -> None:
    """DESIGN §4: at most `max_open` unconfirmed messages from one sender to one recipient."""
    if aantal_open >= instellingen.max_open:
        raise weigering(
            "TE_VEEL_OPEN",
            429,
            f"er staan al {instellingen.max_open} onbevestigde berichten van u voor {ontvanger.naam}; "
            "wacht tot de ontvanger ze bevestigt",
        )


def _mib(aantal: int) -> str:
    """A size for people, in Dutch: "19,5 KiB", "0,95 MiB", "1,00 GiB" — never "0.0 MiB" for a
    quota of 20,000 bytes (an independent limits probe) — with the exact bytes beside it."""
    exact = f"{aantal:,}".replace(",", ".")
    if aantal < 1024:
        return f"{exact} bytes"
    for eenheid, macht, cijfers in (("GiB", 3, 2), ("MiB", 2, 2), ("KiB", 1, 1)):
        if aantal >= 1024**macht or eenheid == "KiB":
            return f"{aantal / 1024**macht:.{cijfers}f} {eenheid}".replace(".", ",") + f" ({exact} bytes)"
    raise AssertionError  # pragma: no cover - KiB always matches


def controleer_quotum(
    ontvanger: Deelnemer, grootte: int, bezetting: tuple[int, int], instellingen: Instellingen
) -> None:
    """DESIGN §4: once the recipient's unconfirmed ciphertext (with this message) would exceed
    its quota, only a sender that would then hold more than its share is refused, so that one
    sender cannot block a creditor for everyone."""
    totaal, eigen = bezetting
    quotum = ontvanger.inbox_quotum if ontvanger.inbox_quotum is not None else instellingen.inbox_quotum
    aandeel = int(quotum * instellingen.inbox_aandeel)
    if totaal + grootte > quotum and eigen + grootte > aandeel:
        raise weigering(
            "INBOX_VOL",
            429,
            f"de inbox van {ontvanger.naam} is vol (hoogstens {_mib(quotum)} onbevestigde inhoud) en met "
            f"dit bericht zou u er meer dan uw aandeel ({_mib(aandeel)}) in hebben staan; u heeft er nu "
            f"{_mib(eigen)}. Wacht tot de ontvanger uw berichten bevestigt en bied dit bericht daarna "
            "opnieuw aan, onder hetzelfde referentienummer",
        )
