"""The audit log's Merkle tree and signed checkpoints against the published reference vectors:
RFC 6962 tree hashes (certificate-transparency's test leaves) and the C2SP signed-note example of
golang.org/x/mod/sumdb/note, byte for byte — so witnesses and other verifiers read our checkpoints."""

from __future__ import annotations

import pytest

from knooppunt.hub.merkle import LEEG, Rand, bladhash
from knooppunt.hub.notitie import (
    Checkpoint,
    NotitieFout,
    Ondertekenaar,
    Verificatiesleutel,
    lees_checkpoint,
)

# certificate-transparency / transparency-dev merkle: the 8 test leaves and the root per tree size.
BLADEN = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
WORTELS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]

GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEKST = (
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
)
GO_NOTITIE = (
    GO_TEKST
    + "\n\u2014 PeterNeumann "
    + "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def test_de_boom_geeft_de_rfc6962_wortels_bij_elke_grootte() -> None:
    rand = Rand()
    assert rand.wortel() == LEEG
    for blad, wortel in zip(BLADEN, WORTELS, strict=True):
        rand.voeg_toe(bladhash(blad))
        assert rand.wortel().hex() == wortel
        # What the sequencer stores and continues from gives the same tree.
        terug = Rand.uit_tekst(rand.grootte, rand.als_tekst())
        assert terug.wortel().hex() == wortel


def test_een_rand_die_niet_bij_zijn_grootte_past_wordt_geweigerd() -> None:
    rand = Rand()
    rand.voeg_alle_toe(bladhash(b) for b in BLADEN[:3])
    with pytest.raises(ValueError, match="compacte rand"):
        Rand.uit_tekst(4, rand.als_tekst())


def test_sleutels_en_handtekening_zijn_die_van_go_sumdb_note() -> None:
    ondertekenaar = Ondertekenaar.uit_tekst(GO_SKEY)
    assert ondertekenaar.als_tekst() == GO_SKEY
    assert ondertekenaar.publiek.als_tekst() == GO_VKEY
    assert ondertekenaar.onderteken(GO_TEKST) == GO_NOTITIE


def test_een_checkpoint_klopt_alleen_met_de_eigen_sleutel() -> None:
    echt = Ondertekenaar.nieuw("knooppunt.example.nl/audit")
    vals = Ondertekenaar.nieuw("knooppunt.example.nl/audit")  # same name, another key
    checkpoint = Checkpoint(echt.naam, 8, bytes.fromhex(WORTELS[-1]))
    notitie = checkpoint.ondertekend(echt)
    assert notitie.splitlines()[:3] == [
        "knooppunt.example.nl/audit",
        "8",
        "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=",
    ]
    assert lees_checkpoint(notitie, echt.publiek) == checkpoint
    with pytest.raises(NotitieFout, match="geen geldige handtekening"):
        lees_checkpoint(checkpoint.ondertekend(vals), echt.publiek)
    # A witness's cosignature is kept and does not disturb the hub's own check.
    gecosigneerd = notitie + "\u2014 getuige.example 3w7c9Q==\n"
    assert lees_checkpoint(gecosigneerd, echt.publiek) == checkpoint
    # A changed tree size no longer matches the signature.
    with pytest.raises(NotitieFout):
        lees_checkpoint(notitie.replace("\n8\n", "\n9\n", 1), echt.publiek)


def test_een_checkpoint_draagt_extensieregels_onder_de_handtekening() -> None:
    """C2SP tlog-checkpoint: lines after the root hash are extension lines, signed with the rest;
    the hub's carries the portal bundle's hash (DESIGN §5 "The code")."""
    sleutel = Ondertekenaar.nieuw("knooppunt.example.nl/audit")
    regel = "knooppunt-portaal-bundel sha256:" + "ab" * 32
    checkpoint = Checkpoint(sleutel.naam, 8, bytes.fromhex(WORTELS[-1]), (regel,))
    notitie = checkpoint.ondertekend(sleutel)
    assert notitie.splitlines()[3] == regel
    assert lees_checkpoint(notitie, sleutel.publiek) == checkpoint
    # The line is under the signature: another bundle hash no longer verifies.
    with pytest.raises(NotitieFout, match="geen geldige handtekening"):
        lees_checkpoint(notitie.replace("sha256:ab", "sha256:cd", 1), sleutel.publiek)
    for slecht in ("", "twee\nregels", "stuur\x07teken"):
        with pytest.raises(NotitieFout, match="extensieregel"):
            Checkpoint(sleutel.naam, 8, bytes.fromhex(WORTELS[-1]), (slecht,))


@pytest.mark.parametrize(
    ("tekst", "melding"),
    [
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "sleutelhash"),
        ("PeterNeumann+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq", "naam\\+hash\\+base64"),
        ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "sleutelnaam"),
        ("PeterNeumann+c74f20a3+AAAA", "geen Ed25519"),
    ],
)
def test_een_onbruikbare_publieke_sleutel_zegt_wat_er_mis_is(tekst: str, melding: str) -> None:
    with pytest.raises(NotitieFout, match=melding):
        Verificatiesleutel.uit_tekst(tekst)
