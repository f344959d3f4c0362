"""SMS length: encoding, units, parts and what is left in the last part."""

import math

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from policydesk.messaging.smslength import GSM_BASIC, GSM_EXTENSION, SmsLength, sms_length

BASIC = "".join(sorted(GSM_BASIC))
EXTENSION = "".join(sorted(GSM_EXTENSION))


def test_an_empty_text_is_one_empty_part_as_a_phone_counts_it():
    assert sms_length("") == SmsLength(encoding="GSM-7", characters=0, parts=1, per_part=160, remaining=160)


def test_160_gsm_characters_are_one_part_and_161_are_two_of_153():
    assert sms_length("a" * 160) == SmsLength("GSM-7", 160, 1, 160, 0)
    assert sms_length("a" * 161) == SmsLength("GSM-7", 161, 2, 153, 145)
    assert sms_length("a" * 306) == SmsLength("GSM-7", 306, 2, 153, 0)
    assert sms_length("a" * 307) == SmsLength("GSM-7", 307, 3, 153, 152)


def test_70_cyrillic_characters_are_one_part_and_71_are_two_of_67():
    assert sms_length("я" * 70) == SmsLength("UCS-2", 70, 1, 70, 0)
    assert sms_length("я" * 71) == SmsLength("UCS-2", 71, 2, 67, 63)
    assert sms_length("я" * 134) == SmsLength("UCS-2", 134, 2, 67, 0)
    assert sms_length("я" * 135) == SmsLength("UCS-2", 135, 3, 67, 66)


@pytest.mark.parametrize(
    ("text", "characters"),
    [
        ("Ваш полис истекает 31.12.2026", 29),  # Russian
        ("Azərbaycan sığortası", 20),  # Azerbaijani: ə, ı and ğ are not GSM
        ("بیمه‌نامه شما تمدید شد", 22),  # Persian, with a zero-width non-joiner
        ("您的保单即将到期", 8),  # Chinese
        ("“Quoted”", 8),  # typographic quotes from a word processor
        ("ç", 1),  # the small c cedilla is not in the table (the capital is)
        ("`", 1),
    ],
)
def test_a_character_outside_the_gsm_alphabet_makes_the_whole_text_ucs2(text, characters):
    length = sms_length(text)

    assert (length.encoding, length.characters, length.parts, length.per_part) == ("UCS-2", characters, 1, 70)
    assert length.remaining == 70 - characters


def test_the_gsm_alphabet_has_its_127_basic_characters_and_10_extension_characters():
    assert len(GSM_BASIC) == 127 and len(GSM_EXTENSION) == 10
    assert GSM_EXTENSION == set("\f^{}\\[~]|€")
    assert "\x1b" not in GSM_BASIC  # the escape is not a character of the text
    for text in ("@£$¥èéùìòÇ\nØø\rÅå", "ΔΦΓΛΩΠΨΣΘΞ", "ÆæßÉ¤¡¿ÄÖÑÜ§äöñüà", "Tom & Jerry's 100% (no. 5)!?"):
        assert sms_length(text).encoding == "GSM-7", text


def test_an_extension_character_counts_two():
    assert sms_length("€") == SmsLength("GSM-7", 2, 1, 160, 158)
    assert sms_length("Price: 100€ [due]").characters == 20
    assert sms_length("\f^{}\\[~]|€").characters == 20
    assert sms_length("€" * 80) == SmsLength("GSM-7", 160, 1, 160, 0)
    assert sms_length("€" * 81) == SmsLength("GSM-7", 162, 2, 153, 143)  # 76 a part: the 77th would straddle


def test_an_extension_character_is_never_split_across_parts():
    # 151 + 2 ends the first part exactly; with 152 the "€" would straddle and moves to the second part.
    assert sms_length("a" * 151 + "€" + "a" * 11) == SmsLength("GSM-7", 164, 2, 153, 142)
    assert sms_length("a" * 152 + "€" + "a" * 10) == SmsLength("GSM-7", 164, 2, 153, 141)
    # 306 septets fill two parts exactly, but the moved "€" pushes the last one into a third.
    assert sms_length("a" * 151 + "€" + "a" * 153) == SmsLength("GSM-7", 306, 2, 153, 0)
    assert sms_length("a" * 152 + "€" + "a" * 152) == SmsLength("GSM-7", 306, 3, 153, 152)


def test_an_emoji_counts_two_utf16_units():
    assert sms_length("😀") == SmsLength("UCS-2", 2, 1, 70, 68)
    assert sms_length("OK 👍") == SmsLength("UCS-2", 5, 1, 70, 65)
    assert sms_length("я" * 68 + "😀") == SmsLength("UCS-2", 70, 1, 70, 0)
    assert sms_length("я" * 69 + "😀") == SmsLength("UCS-2", 71, 2, 67, 63)


def test_an_emoji_at_the_67_boundary_is_never_split_across_parts():
    assert sms_length("я" * 65 + "😀" + "я" * 11) == SmsLength("UCS-2", 78, 2, 67, 56)
    assert sms_length("я" * 66 + "😀" + "я" * 10) == SmsLength("UCS-2", 78, 2, 67, 55)
    assert sms_length("я" * 65 + "😀" + "я" * 67) == SmsLength("UCS-2", 134, 2, 67, 0)
    assert sms_length("я" * 66 + "😀" + "я" * 66) == SmsLength("UCS-2", 134, 3, 67, 66)


def test_the_result_cannot_be_changed():
    with pytest.raises(AttributeError):
        sms_length("hi").parts = 0


# -- properties ------------------------------------------------------------------------------------------------

gsm_texts = st.text(alphabet=st.sampled_from(BASIC + EXTENSION), max_size=700)
any_texts = st.one_of(gsm_texts, st.text(max_size=400))


def packed_parts(sizes: list[int], per_part: int) -> list[int]:
    """The units in each part when whole characters are laid into parts of ``per_part`` one after the other."""
    parts = [0]
    for size in sizes:
        if parts[-1] + size > per_part:
            parts.append(0)
        parts[-1] += size
    return parts


@hypothesis_settings(max_examples=300, deadline=None)
@given(text=any_texts)
def test_parts_are_never_fewer_than_the_units_need_and_the_counts_add_up(text):
    length = sms_length(text)

    assert length.parts >= max(1, math.ceil(length.characters / length.per_part))
    assert 0 <= length.remaining <= length.per_part
    assert (length.remaining == length.per_part) == (text == "")
    # Every part but the last is full up to at most one unit lost to a character kept whole.
    used = length.parts * length.per_part - length.remaining
    assert length.characters <= used <= length.characters + (length.parts - 1)


@hypothesis_settings(max_examples=300, deadline=None)
@given(text=any_texts)
def test_units_are_septets_for_gsm_and_utf16_code_units_otherwise(text):
    length = sms_length(text)

    if all(c in GSM_BASIC or c in GSM_EXTENSION for c in text):
        assert length.encoding == "GSM-7"
        assert length.characters == len(text) + sum(c in GSM_EXTENSION for c in text)
        sizes = [2 if c in GSM_EXTENSION else 1 for c in text]
    else:
        assert length.encoding == "UCS-2"
        assert length.characters == len(text.encode("utf-16-le")) // 2
        sizes = [len(c.encode("utf-16-le")) // 2 for c in text]
    single, multi = (160, 153) if length.encoding == "GSM-7" else (70, 67)
    if length.characters <= single:
        assert (length.parts, length.per_part, length.remaining) == (1, single, single - length.characters)
    else:
        parts = packed_parts(sizes, multi)
        assert (length.parts, length.per_part, length.remaining) == (len(parts), multi, multi - parts[-1])
