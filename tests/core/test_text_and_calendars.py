import datetime
import re

import jdatetime
import phonenumbers
import pytest
from hypothesis import assume, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from policydesk.core import calendars
from policydesk.core.text import fold, name_tokens, normalize_phone, phone_candidates


@pytest.mark.parametrize("typed", ["8 912 345-67-89", "+7 (912) 3456789", "89123456789", "+79123456789", "007 912 345 67 89"])
def test_russian_phone_typed_any_way_is_one_e164_number(typed):
    assert normalize_phone(typed) == "+79123456789"
    assert "+79123456789" in phone_candidates(typed)


def test_iranian_mobile_in_national_format_is_found_from_russian_default_region():
    assert "+989121234567" in phone_candidates("09121234567")


def test_persian_digits_in_phone_are_read():
    assert "+989121234567" in phone_candidates("۰۹۱۲۱۲۳۴۵۶۷")


@pytest.mark.parametrize("bad", ["", "12", "abc", "+7 912", "8 000 000-00-00"])
def test_invalid_phone_is_refused(bad):
    with pytest.raises(ValueError):
        normalize_phone(bad)


@given(st.integers(min_value=0, max_value=9_999_999))
def test_any_russian_mobile_survives_formatting_round_trip(n):
    number = f"+7912{n:07d}"
    formatted = f"8 (912) {n:07d}"[:-4] + "-" + f"{n:07d}"[-4:]
    assert normalize_phone(formatted) == number


_REGIONS = ["RU", "IR", "AZ", "CN", "KZ", "UZ", "BY", "TR", "AE", "GB", "US", "DE"]


def _typed_forms(number, dialled_from):
    """The ways people type a number: national (from inside its country), international, E.164,
    as dialled from another country (8 10 ... from Russia, 011 ... from the US), digits alone."""
    fmt = phonenumbers.PhoneNumberFormat
    forms = [phonenumbers.format_number(number, f) for f in (fmt.NATIONAL, fmt.INTERNATIONAL, fmt.E164)]
    forms.append(phonenumbers.format_out_of_country_calling_number(number, dialled_from))
    return forms + [re.sub(r"\D", "", form) for form in forms]


@hypothesis_settings(max_examples=500, deadline=None)
@given(region=st.sampled_from(_REGIONS), fixed=st.booleans(), tail=st.integers(0, 9999),
       dialled_from=st.sampled_from(_REGIONS))
def test_every_valid_number_typed_in_a_common_form_is_among_the_candidates(region, fixed, tail, dialled_from):
    kind = phonenumbers.PhoneNumberType.FIXED_LINE if fixed else phonenumbers.PhoneNumberType.MOBILE
    example = phonenumbers.example_number_for_type(region, kind)
    national = str(example.national_number)
    number = phonenumbers.parse(f"+{example.country_code}{national[:-4]}{tail:04d}")
    assume(phonenumbers.is_valid_number(number))
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    for typed in _typed_forms(number, dialled_from):
        assert e164 in phone_candidates(typed), typed


def test_fold_ignores_case_accents_and_script_variants():
    assert fold("Ёлкин") == fold("елкин")
    assert fold("Müller") == "muller"
    assert fold("علي") == fold("علی")  # Arabic yeh and Persian yeh
    assert fold("كريم") == fold("کریم")  # Arabic kaf and Persian keheh


def test_name_tokens_index_every_part_of_a_chinese_name():
    tokens = name_tokens("张伟明")
    assert {"张伟明", "伟明", "明"} <= tokens


def test_jalali_date_is_parsed_in_either_digit_set():
    expected = jdatetime.date(1403, 4, 23).togregorian()
    assert calendars.parse_date("1403/04/23", calendars.JALALI) == expected
    assert calendars.parse_date("۱۴۰۳/۰۴/۲۳", calendars.JALALI) == expected
    assert calendars.parse_date("1403-4-23", calendars.JALALI) == expected


@pytest.mark.parametrize("bad", ["1403/13/01", "1403/12/31", "hello", "03/04/23", ""])
def test_invalid_jalali_date_is_refused_with_a_message(bad):
    # 1403 is a leap year in the Persian calendar but Esfand has at most 30 days.
    with pytest.raises(ValueError) as error:
        calendars.parse_date(bad, calendars.JALALI)
    assert str(error.value)


def test_gregorian_date_in_iso_and_dotted_order():
    assert calendars.parse_date("2024-07-13") == datetime.date(2024, 7, 13)
    assert calendars.parse_date("13.07.2024") == datetime.date(2024, 7, 13)
    with pytest.raises(ValueError):
        calendars.parse_date("2024-02-30")


def test_jalali_display_with_persian_digits():
    date = datetime.date(2024, 7, 13)
    assert calendars.format_date(date, calendars.JALALI) == "1403/04/23"
    assert calendars.format_date(date, calendars.JALALI, persian_digits=True) == "۱۴۰۳/۰۴/۲۳"


@given(st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2100, 12, 31)))
def test_jalali_display_and_parse_round_trip(date):
    shown = calendars.format_date(date, calendars.JALALI, persian_digits=True)
    assert calendars.parse_date(shown, calendars.JALALI) == date
