"""Pure vendor rules (DOMAIN.md §3, §8): identity numbers, UMKM class, the verification state
table, the Suket PPh Final's validity, the bank-account name match and uploaded documents.

Expected values are written out here from the regulations (PP 7/2021 figures, NIK/NPWP/NIB
formats), not computed with the application's own tables, so that a change to a table shows.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digipay.vendors import rules
from digipay.vendors.rules import (
    SuketState,
    SuketStatus,
    UmkmBasis,
    UmkmClass,
    VendorAction,
    VendorStatus,
)

MILIAR = 1_000_000_000

# --- NIK -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3171011508850001", "3171011508850001"),  # Jakarta Pusat, born 15/08/85
        ("3273015508900001", "3273015508900001"),  # Kota Bandung, a woman: day + 40
        ("1101010101000001", "1101010101000001"),  # Aceh, born 01/01/00
        ("3171012902000001", "3171012902000001"),  # 29/02/2000 exists
        ("3171-0115-0885-0001", "3171011508850001"),  # separators are dropped
        (" 3171011508850001 ", "3171011508850001"),
    ],
)
def test_valid_nik_is_returned_as_16_digits(value: str, expected: str) -> None:
    assert rules.clean_nik(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "317101150885000",  # 15 digits
        "31710115088500011",  # 17 digits
        "9971011508850001",  # no province 99
        "0071011508850001",  # no province 00
        "3171013202850001",  # day 32
        "3171010008850001",  # day 0
        "3171017208850001",  # day 72 (= 32 for a woman)
        "3171011513850001",  # month 13
        "3171011500850001",  # month 0
        "3171013002850001",  # 30 February
        "3171012902850001",  # 29/02/1985 and 2085: no leap year
        "31710115088500AB",  # letters
        "3171O11508850001",  # letter O for zero
    ],
)
def test_invalid_nik_is_refused(value: str) -> None:
    assert rules.clean_nik(value) is None


# --- NPWP ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("013000666091000", "013000666091000"),
        ("016090524017000", "016090524017000"),
        ("01.300.066.6-091.000", "013000666091000"),  # the printed form
        ("01 300 066 6 091 000", "013000666091000"),
        ("0013000666091000", "0013000666091000"),  # 16 digits: "0" + the 15 (PMK 112/2022)
        ("3171011508850001", "3171011508850001"),  # 16 digits: a NIK
        ("000000000000000", rules.NO_NPWP),  # 15 zeros: no NPWP
        ("00.000.000.0-000.000", rules.NO_NPWP),
        ("0000000000000000", rules.NO_NPWP),  # 16 zeros: no NPWP either
    ],
)
def test_valid_npwp(value: str, expected: str) -> None:
    assert rules.clean_npwp(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "013000665091000",  # check digit (9th) wrong
        "013000667091000",
        "016090523017000",
        "0013000665091000",  # "0" + a 15-digit NPWP with a wrong check digit
        "3171013202850001",  # 16 digits not starting with 0 and not a valid NIK (day 32)
        "9971011508850001",  # ... (no province 99)
        "01300066609100",  # 14 digits
        "01300066609100000",  # 17 digits
        "013000666091",  # 12 digits
        "01300066609100X",  # a letter
        "01/300/066/6/091/000",  # not a separator NPWPs are printed with
    ],
)
def test_invalid_npwp(value: str) -> None:
    assert rules.clean_npwp(value) is None


def test_no_npwp_is_not_an_npwp() -> None:
    assert not rules.has_npwp(rules.NO_NPWP)
    assert not rules.has_npwp("")
    assert rules.has_npwp("013000666091000")
    assert rules.has_npwp("3171011508850001")


# --- NIB, KBLI, phone ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("9120001234567", "9120001234567"),
        ("9120 0012 34567", "9120001234567"),
        ("912000123456", None),  # 12 digits
        ("91200012345678", None),  # 14 digits
        ("912000123456A", None),
        ("9120-001234567", None),
        ("", None),
    ],
)
def test_nib_is_13_digits(value: str, expected: str | None) -> None:
    assert rules.clean_nib(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("47111", ["47111"]),
        ("47111, 10792", ["47111", "10792"]),
        ("47111;10792", ["47111", "10792"]),
        (["47111", " 10792 "], ["47111", "10792"]),
        ("47111,47111,10792", ["47111", "10792"]),  # duplicates dropped, order kept
        ("", None),
        ([], None),
        ("4711", None),  # four digits
        ("471111", None),
        ("47111,ABCDE", None),
    ],
)
def test_kbli_codes(value: list[str] | str, expected: list[str] | None) -> None:
    assert rules.clean_kbli(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0812 3456 7890", "+6281234567890"),
        ("0812-3456-7890", "+6281234567890"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
        ("(021) 555 1234", "+62215551234"),
        ("081234567", "+6281234567"),  # the shortest: 8 digits after the prefix
        ("812345678", None),  # no 0 / 62 / +62 prefix
        ("0812345", None),  # too short
        ("0812345678901234", None),  # too long
        ("00812345678", None),  # 0 after the prefix
        ("0812abc5678", None),
        ("", None),
    ],
)
def test_phone_numbers(value: str, expected: str | None) -> None:
    assert rules.clean_phone(value) == expected


def test_mask_keeps_only_the_last_four() -> None:
    assert rules.mask("034601000456302") == "•" * 11 + "6302"
    assert rules.mask("1234") == "1234"
    assert rules.mask("") == ""


# --- UMKM class (PP 7/2021 art. 35) --------------------------------------------------------------


@pytest.mark.parametrize(
    ("basis", "amount", "expected"),
    [
        # Capital (new businesses): micro ≤ 1 miliar, small ≤ 5, medium ≤ 10, above: large.
        (UmkmBasis.CAPITAL, 0, UmkmClass.MIKRO),
        (UmkmBasis.CAPITAL, 1 * MILIAR, UmkmClass.MIKRO),
        (UmkmBasis.CAPITAL, 1 * MILIAR + 1, UmkmClass.KECIL),
        (UmkmBasis.CAPITAL, 5 * MILIAR, UmkmClass.KECIL),
        (UmkmBasis.CAPITAL, 5 * MILIAR + 1, UmkmClass.MENENGAH),
        (UmkmBasis.CAPITAL, 10 * MILIAR, UmkmClass.MENENGAH),
        (UmkmBasis.CAPITAL, 10 * MILIAR + 1, None),
        # Annual sales (existing businesses): ≤ 2 miliar, ≤ 15, ≤ 50, above: large.
        (UmkmBasis.SALES, 0, UmkmClass.MIKRO),
        (UmkmBasis.SALES, 2 * MILIAR, UmkmClass.MIKRO),
        (UmkmBasis.SALES, 2 * MILIAR + 1, UmkmClass.KECIL),
        (UmkmBasis.SALES, 15 * MILIAR, UmkmClass.KECIL),
        (UmkmBasis.SALES, 15 * MILIAR + 1, UmkmClass.MENENGAH),
        (UmkmBasis.SALES, 50 * MILIAR, UmkmClass.MENENGAH),
        (UmkmBasis.SALES, 50 * MILIAR + 1, None),
        (UmkmBasis.SALES, 10**15, None),
    ],
)
def test_umkm_class_at_every_boundary(basis: str, amount: int, expected: str | None) -> None:
    assert rules.umkm_class(basis=basis, amount_idr=amount) == expected


def test_umkm_class_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="negative"):
        rules.umkm_class(basis=UmkmBasis.CAPITAL, amount_idr=-1)
    with pytest.raises(ValueError, match="basis"):
        rules.umkm_class(basis="ASSETS", amount_idr=1)


_RANK = {UmkmClass.MIKRO: 0, UmkmClass.KECIL: 1, UmkmClass.MENENGAH: 2, None: 3}
_CEILINGS = {
    UmkmBasis.CAPITAL: (1 * MILIAR, 5 * MILIAR, 10 * MILIAR),
    UmkmBasis.SALES: (2 * MILIAR, 15 * MILIAR, 50 * MILIAR),
}


@given(
    st.sampled_from([UmkmBasis.CAPITAL, UmkmBasis.SALES]),
    st.integers(min_value=0, max_value=10**14),
    st.integers(min_value=0, max_value=10**14),
)
def test_umkm_class_is_monotone_in_the_amount(basis: str, a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert (
        _RANK[rules.umkm_class(basis=basis, amount_idr=low)]
        <= _RANK[rules.umkm_class(basis=basis, amount_idr=high)]
    )


@given(
    st.sampled_from([UmkmBasis.CAPITAL, UmkmBasis.SALES]),
    st.integers(min_value=0, max_value=10**14),
)
def test_umkm_class_is_the_number_of_ceilings_below_the_amount(basis: str, amount: int) -> None:
    exceeded = sum(amount > ceiling for ceiling in _CEILINGS[basis])
    assert _RANK[rules.umkm_class(basis=basis, amount_idr=amount)] == exceeded


# --- verification state table --------------------------------------------------------------------

S = VendorStatus
A = VendorAction
ALLOWED = {
    (S.REJECTED, A.RESUBMIT): S.PENDING,
    (S.PENDING, A.VERIFY): S.VERIFIED,
    (S.PENDING, A.REJECT): S.REJECTED,
    (S.PENDING, A.SUSPEND): S.SUSPENDED,
    (S.VERIFIED, A.SUSPEND): S.SUSPENDED,
    (S.REJECTED, A.SUSPEND): S.SUSPENDED,
    (S.VERIFIED, A.REVERIFY): S.PENDING,
}


@pytest.mark.parametrize(("pair", "target"), sorted(ALLOWED.items()))
def test_every_allowed_transition(pair: tuple[str, str], target: str) -> None:
    current, action = pair
    assert rules.next_status(current, action) == target


@pytest.mark.parametrize(
    "pair",
    [
        (status, action)
        for status in S.values
        for action in A.values
        if action != A.REINSTATE and (status, action) not in ALLOWED
    ],
)
def test_every_other_transition_is_refused(pair: tuple[str, str]) -> None:
    # e.g. verifying twice, verifying a rejected or suspended vendor without a resubmission,
    # rejecting a verified vendor, suspending twice.
    assert rules.next_status(*pair) is None


@pytest.mark.parametrize("before", [S.VERIFIED, S.PENDING, S.REJECTED])
def test_reinstate_returns_to_the_status_before_the_suspension(before: str) -> None:
    assert rules.next_status(S.SUSPENDED, A.REINSTATE, before_suspension=before) == before


def test_reinstate_without_a_known_status_never_skips_verification() -> None:
    assert rules.next_status(S.SUSPENDED, A.REINSTATE) == S.PENDING


@pytest.mark.parametrize("current", [S.PENDING, S.VERIFIED, S.REJECTED])
def test_only_a_suspended_vendor_is_reinstated(current: str) -> None:
    assert rules.next_status(current, A.REINSTATE, before_suspension=S.VERIFIED) is None


def test_only_verified_active_vendors_sell() -> None:
    for status in S.values:
        assert rules.can_sell(status=status, organisation_active=True) == (status == S.VERIFIED)
        assert not rules.can_sell(status=status, organisation_active=False)


def test_reasons_need_ten_characters_after_collapsing_blanks() -> None:
    assert rules.reasons_error("Dokumen NIB") is None
    assert rules.reasons_error("0123456789") is None
    assert rules.reasons_error("012345678") is not None
    assert rules.reasons_error("a          b") is not None  # "a b"
    assert rules.reasons_error("") is not None


# --- Suket PPh Final -----------------------------------------------------------------------------

FROM, UNTIL = date(2026, 1, 1), date(2026, 12, 31)


def _suket(
    status: str = SuketStatus.VERIFIED, number: str = "KET-00123/PP23/WPJ.04"
) -> rules.Suket:
    return rules.Suket(number, FROM, UNTIL, status)


@pytest.mark.parametrize(
    ("on", "state"),
    [
        (FROM - timedelta(days=1), SuketState.NOT_YET_VALID),
        (FROM, SuketState.VALID),
        (UNTIL - timedelta(days=30), SuketState.VALID),
        (UNTIL - timedelta(days=29), SuketState.EXPIRING),  # the last 30 days, both ends in
        (UNTIL, SuketState.EXPIRING),
        (UNTIL + timedelta(days=1), SuketState.EXPIRED),
    ],
)
def test_suket_state_on_boundary_dates(on: date, state: str) -> None:
    assert rules.suket_state(_suket(), on) == state


@pytest.mark.parametrize(
    ("on", "valid"),
    [
        (FROM - timedelta(days=1), False),
        (FROM, True),
        (date(2026, 6, 15), True),
        (UNTIL, True),
        (UNTIL + timedelta(days=1), False),
    ],
)
def test_suket_valid_on(on: date, valid: bool) -> None:
    assert rules.suket_valid_on(_suket(), on) is valid


@pytest.mark.parametrize("status", [SuketStatus.PENDING, SuketStatus.REJECTED, SuketStatus.NONE])
def test_an_unverified_suket_never_applies(status: str) -> None:
    assert rules.suket_state(_suket(status), date(2026, 6, 15)) == SuketState.NOT_VERIFIED
    assert not rules.suket_valid_on(_suket(status), date(2026, 6, 15))


def test_no_suket() -> None:
    assert rules.suket_state(_suket(number=""), date(2026, 6, 15)) == SuketState.NONE
    none = rules.Suket("", None, None, SuketStatus.NONE)
    assert rules.suket_state(none, date(2026, 6, 15)) == SuketState.NONE
    assert not rules.suket_valid_on(none, date(2026, 6, 15))


def test_suket_fields_come_together_and_in_order() -> None:
    assert rules.suket_error(number="", valid_from=None, valid_until=None) is None
    assert rules.suket_error(number="S-1", valid_from=FROM, valid_until=UNTIL) is None
    assert rules.suket_error(number="S-1", valid_from=FROM, valid_until=FROM) is None
    assert rules.suket_error(number="S-1", valid_from=None, valid_until=UNTIL) is not None
    assert rules.suket_error(number="", valid_from=FROM, valid_until=UNTIL) is not None
    assert rules.suket_error(number="  ", valid_from=FROM, valid_until=UNTIL) is not None
    assert rules.suket_error(number="S-1", valid_from=UNTIL, valid_until=FROM) is not None


# --- bank account name match ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("declared", "bank"),
    [
        ("Sinar Jaya", "SINAR JAYA"),
        ("CV. Sinar Jaya", "SINAR JAYA"),
        ("CV Sinar Jaya", "PT SINAR JAYA TBK"),
        ("UD Berkah Tani", "BERKAH TANI"),
        ("Budi  Santoso", "BUDI SANTOSO"),
        ("Siti Nur'aini", "SITI NUR AINI"),
        ("Koperasi Maju-Bersama", "MAJU BERSAMA"),
        ("Jósé Pranoto", "JOSE PRANOTO"),
        ("Bpk. Ahmad Dahlan", "AHMAD DAHLAN"),
    ],
)
def test_names_match_ignoring_case_punctuation_and_legal_words(declared: str, bank: str) -> None:
    assert rules.names_match(declared, bank)


@pytest.mark.parametrize(
    ("declared", "bank"),
    [
        ("Sinar Jaya Abadi", "CV SINAR JAYA"),
        ("Sinar Jaya", "JAYA SINAR"),
        ("Budi Santoso", "BUDI SANTOSA"),
        ("Berkah Tani", "BERKAH TANI MAKMUR"),
        ("CV", "PT"),  # nothing but legal words: no name at all
        ("", ""),
        ("Sinar Jaya", ""),
    ],
)
def test_a_different_name_is_a_mismatch(declared: str, bank: str) -> None:
    assert not rules.names_match(declared, bank)


def test_bank_account_fields() -> None:
    ok = {"bank_code": "002", "account_no": "034601000456302", "holder_name": "CV Sinar Jaya"}
    assert rules.bank_account_error(**ok) is None
    assert rules.bank_account_error(**{**ok, "bank_code": "02"}) is not None
    assert rules.bank_account_error(**{**ok, "account_no": "12345"}) is not None
    assert rules.bank_account_error(**{**ok, "account_no": "0346-0100"}) is not None
    assert rules.bank_account_error(**{**ok, "account_no": "1" * 21}) is not None
    assert rules.bank_account_error(**{**ok, "holder_name": "CV"}) is not None


# --- uploaded documents --------------------------------------------------------------------------

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


@pytest.mark.parametrize(
    ("head", "content_type"),
    [(PDF, "application/pdf"), (JPEG, "image/jpeg"), (PNG, "image/png")],
)
def test_pdf_jpeg_png_are_recognised_by_their_first_bytes(head: bytes, content_type: str) -> None:
    assert rules.document_type(head, 1234) == (content_type, None)
    assert rules.document_type(head, rules.MAX_DOCUMENT_BYTES) == (content_type, None)


@pytest.mark.parametrize(
    "head",
    [
        b"GIF89a\x01\x00\x01\x00",
        b"GIF87a\x01\x00\x01\x00",
        b"MZ\x90\x00\x03\x00\x00\x00",  # Windows executable
        b"\x7fELF\x02\x01\x01\x00",
        b"PK\x03\x04\x14\x00",  # zip / docx
        b"<html><body>%PDF-",
        b" %PDF-1.7",  # the magic must be at the start
        b"%PDF",  # too short for the signature
    ],
)
def test_other_files_are_refused(head: bytes) -> None:
    content_type, error = rules.document_type(head, 1234)
    assert content_type is None
    assert error


def test_documents_over_5_mb_or_empty_are_refused() -> None:
    assert rules.MAX_DOCUMENT_BYTES == 5 * 1024 * 1024
    content_type, error = rules.document_type(PDF, 5 * 1024 * 1024 + 1)
    assert content_type is None
    assert error
    content_type, error = rules.document_type(PDF, 0)
    assert content_type is None
    assert error
    content_type, error = rules.document_type(b"", 0)
    assert content_type is None
    assert error
