"""The numbers of an upload's answers (DESIGN §7, decision 0016): RFC 9562 UUIDv8 from an
HMAC-SHA256 under the participant's secret; deterministic, different under another secret."""

from __future__ import annotations

import hashlib
import hmac
import os
import uuid

from knooppunt.portaal.antwoordnummers import canoniek, uuid8

VRAAG = "4ead333d-8b70-4a8a-b393-0a063c291147"
CONVERSATIE = "0b0c83dd-b4a5-4509-a624-a3d5166596df"


def _antwoord(bedrag: int = 100, vraag: str = VRAAG) -> bytes:
    return canoniek(
        berichttype="saldoverzoek_antwoord",
        module="schuldregeling",
        versie="1.0",
        conversatie=CONVERSATIE,
        antwoord_op=vraag,
        payload={"peildatum": "2024-03-01", "totaalvordering": {"actueelBedrag": bedrag}},
    )


def test_the_number_is_a_valid_uuidv8_version_and_variant() -> None:
    for _ in range(200):
        nummer = uuid.UUID(uuid8(os.urandom(32), os.urandom(40)))
        assert nummer.version == 8
        assert nummer.variant == uuid.RFC_4122  # variant bits 10
        assert str(nummer) == str(nummer).lower()


def test_the_number_is_the_hmac_with_only_the_version_and_variant_bits_set() -> None:
    geheim = bytes(range(32))
    ruw = hmac.new(geheim, _antwoord(), hashlib.sha256).digest()[:16]
    nummer = uuid.UUID(uuid8(geheim, _antwoord())).bytes
    verschil = bytes(a ^ b for a, b in zip(ruw, nummer, strict=True))
    assert all(b == 0 for i, b in enumerate(verschil) if i not in (6, 8))
    assert verschil[6] & 0x0F == 0 and verschil[8] & 0x3F == 0


def test_the_same_answer_under_the_same_secret_gets_the_same_number() -> None:
    geheim = os.urandom(32)
    assert uuid8(geheim, _antwoord()) == uuid8(geheim, _antwoord())


def test_another_participants_secret_gives_another_number() -> None:
    assert uuid8(os.urandom(32), _antwoord()) != uuid8(os.urandom(32), _antwoord())


def test_another_answer_or_question_gives_another_number() -> None:
    geheim = os.urandom(32)
    nummers = {
        uuid8(geheim, _antwoord()),
        uuid8(geheim, _antwoord(bedrag=101)),
        uuid8(geheim, _antwoord(vraag="f7187b4d-8174-471b-82ff-561c4a74f8ab")),
    }
    assert len(nummers) == 3


def test_the_canonical_form_does_not_depend_on_key_order() -> None:
    een = canoniek(
        berichttype="betaalvoorstel_akkoord",
        module="schuldregeling",
        versie="1.0",
        conversatie=CONVERSATIE,
        antwoord_op=VRAAG,
        payload={"a": 1, "b": {"c": "é", "d": None}},
    )
    twee = canoniek(
        berichttype="betaalvoorstel_akkoord",
        module="schuldregeling",
        versie="1.0",
        conversatie=CONVERSATIE,
        antwoord_op=VRAAG,
        payload={"b": {"d": None, "c": "é"}, "a": 1},
    )
    assert een == twee
