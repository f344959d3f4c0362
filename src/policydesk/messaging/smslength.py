"""How long an SMS is, and in how many parts it goes out (GSM 03.38 / 3GPP TS 23.038).

A text written only in the GSM 7-bit alphabet goes as GSM-7: 160 septets in one part, 153 in each
part of a longer message (the concatenation header takes the rest). The extension table's characters
(``^ { } \\ [ ~ ] | €`` and form feed) are an escape and a septet, 2 units, and a part never ends
between the two. Any other character (Cyrillic, Persian, Chinese, “typographic quotes”, emoji) makes the
whole message UCS-2: 70 UTF-16 code units in one part, 67 in each part of a longer one; an emoji is a
surrogate pair, 2 units, never split across parts. National language shift tables (Turkish, Spanish,
Portuguese, Indian) are not used: gateways seldom support them.

An empty text is 0 characters in 1 part with 160 remaining, as a phone's counter shows it under an
empty message.
"""

from dataclasses import dataclass

GSM_7 = "GSM-7"
UCS_2 = "UCS-2"

# The basic character set in code order 0x00–0x7F, without 0x1B (the escape to the extension table).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# The extension table: each is sent as the escape 0x1B and a second septet.
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")
_GSM = GSM_BASIC | GSM_EXTENSION

SINGLE = {GSM_7: 160, UCS_2: 70}
MULTI = {GSM_7: 153, UCS_2: 67}


@dataclass(frozen=True)
class SmsLength:
    encoding: str  # GSM_7 or UCS_2
    characters: int  # units: GSM-7 septets (extension characters 2), UCS-2 UTF-16 code units (emoji 2)
    parts: int
    per_part: int  # 160/70 for one part, 153/67 for each part of a longer message
    remaining: int  # units still free in the last part


def sms_length(text: str) -> SmsLength:
    """The encoding, length and parts of ``text`` as an SMS."""
    if _GSM.issuperset(text):
        encoding = GSM_7
        sizes = [2 if c in GSM_EXTENSION else 1 for c in text]
    else:
        encoding = UCS_2
        sizes = [2 if ord(c) > 0xFFFF else 1 for c in text]
    characters = sum(sizes)
    single = SINGLE[encoding]
    if characters <= single:
        return SmsLength(encoding, characters, 1, single, single - characters)
    per_part = MULTI[encoding]
    if characters == len(sizes):  # every character one unit: nothing to keep together
        parts = -(-characters // per_part)
        return SmsLength(encoding, characters, parts, per_part, parts * per_part - characters)
    parts, used = 1, 0
    for size in sizes:
        if used + size > per_part:  # a 2-unit character that would straddle the boundary starts the next part
            parts, used = parts + 1, 0
        used += size
    return SmsLength(encoding, characters, parts, per_part, per_part - used)
