"""Text and phone normalisation shared by search, duplicates and import."""

import functools
import re
import unicodedata

import phonenumbers
from django.conf import settings

# Arabic-script letters Persian and Arabic keyboards type differently, folded to one form.
_ARABIC_FOLD = str.maketrans({
    "ي": "ی", "ى": "ی", "ك": "ک", "ة": "ه", "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ؤ": "و",
    "\u0640": None,  # tatweel
    "\u200c": " ",  # zero-width non-joiner separates word parts
    "\u200f": None, "\u200e": None,
    "ё": "е", "Ё": "е", "ı": "i", "ə": "e", "Ə": "e",
})
_WORD_RE = re.compile(r"[\w]+", re.UNICODE)
MAX_TOKEN = 64


def fold(text: str) -> str:
    """Case-, accent- and script-variant-insensitive form of a text, for searching."""
    text = (text or "").translate(_ARABIC_FOLD)
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", text).translate(_ARABIC_FOLD)


def _is_cjk(ch: str) -> bool:
    code = ord(ch)
    return 0x3400 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0x20000 <= code <= 0x2FA1F


def name_tokens(*parts: str) -> set[str]:
    """The index entries for a name: each word, and each suffix of a word in Chinese characters.

    A search for a prefix of any entry then finds the name: any word's start, or any part of a
    Chinese name (which has no spaces between its characters).
    """
    tokens: set[str] = set()
    for word in _WORD_RE.findall(fold(" ".join(p for p in parts if p))):
        word = word[:MAX_TOKEN]
        tokens.add(word)
        if any(_is_cjk(ch) for ch in word):
            for start in range(1, len(word)):
                tokens.add(word[start:])
    return tokens


def person_name(last: str, first: str, middle: str = "") -> str:
    """A person's name as lists show it: "last first middle"; written together in Chinese (王伟)."""
    parts = [p.strip() for p in (last, first, middle) if p and p.strip()]
    if parts and all(_is_cjk(ch) for part in parts for ch in part):
        return "".join(parts)
    return " ".join(parts)


def search_words(query: str) -> list[str]:
    return [w[:MAX_TOKEN] for w in _WORD_RE.findall(fold(query))]


def normalize_phone(raw: str, region: str | None = None) -> str:
    """E.164 form of a phone number typed in any common format; ValueError when it is not one."""
    from policydesk.core.calendars import to_latin_digits

    text = to_latin_digits(str(raw or "")).strip()
    if not text:
        raise ValueError("empty")
    if text.startswith("00"):
        text = "+" + text[2:]
    regions = [region or settings.PHONE_REGION] if not text.startswith("+") else [None]
    for candidate_region in regions:
        try:
            number = phonenumbers.parse(text, candidate_region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    raise ValueError("invalid")


@functools.cache
def _region_table(regions: tuple[str, ...]):
    """Per region: (country code, national-prefix pattern, region needing the full parser,
    possible lengths of a national number); and the patterns of every region's prefix for dialling
    abroad (00, 011 from North America, 810 from Russia)."""
    readings, international = [], set()
    for region in regions:
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
        if metadata is None:
            continue
        pattern = metadata.national_prefix_for_parsing
        # A prefix rewritten rather than stripped (Argentina, Mexico) is left to the parser.
        hard = region if metadata.national_prefix_transform_rule else None
        lengths = frozenset(metadata.general_desc.possible_length or ()) if metadata.general_desc else frozenset()
        readings.append((str(metadata.country_code), re.compile(pattern) if pattern else None, hard, lengths))
        if metadata.international_prefix:
            international.add(metadata.international_prefix)
    return tuple(readings), tuple(re.compile(p) for p in sorted(international))


def phone_candidates(raw: str) -> list[str]:
    """Every E.164 number that the typed text can be, the agency's own region first.

    ``8 912 345-67-89`` is Russian, ``09121234567`` Iranian: the digits are read in each configured
    region, with its national prefix stripped and as typed, without the full parser: these
    candidates are matched exactly against stored numbers, which were validated when saved, so a
    reading that is no real number finds nothing. (The parser costs about 40 µs a region, ten times
    the database lookup.)
    """
    from policydesk.core.calendars import to_latin_digits

    text = to_latin_digits(str(raw or "")).strip()
    digits = re.sub(r"\D", "", text)
    if len(digits) < 6:
        return []
    if text.startswith("+") or text.startswith("00"):
        if text.startswith("00"):
            digits = digits[2:]
        try:
            return list(dict.fromkeys([normalize_phone(text), "+" + digits]))
        except ValueError:
            return ["+" + digits]
    found: dict[str, None] = {}
    regions = (settings.PHONE_REGION,) + tuple(r for r in settings.PHONE_REGIONS if r != settings.PHONE_REGION)
    readings, international_prefixes = _region_table(regions)
    for country_code, prefix, hard_region, lengths in readings:
        if hard_region:
            try:
                found[normalize_phone(text, hard_region)] = None
            except ValueError:
                pass
            continue
        # As typed; without the national prefix; and after the country code typed without "+"
        # (with or without a national prefix after it, as the parser reads "7 8 912...").
        national = [digits]
        if digits.startswith(country_code):
            national.append(digits[len(country_code):])
        if prefix is not None:
            for number in list(national):
                match = prefix.match(number)
                if match and match.end():
                    national.append(number[match.end():])
        for number in national:
            if not lengths or len(number) in lengths:
                found["+" + country_code + number] = None
    # Digits typed with the country code but without "+" (79123456789), or after the prefix that
    # dials abroad (011 20 ..., 8 10 49 ...).
    international = [digits] + [digits[m.end():] for p in international_prefixes
                                if (m := p.match(digits)) and m.end()]
    for number in international:
        if 6 <= len(number) <= 15:
            found["+" + number] = None
    return list(found)


def looks_like_phone(query: str) -> bool:
    from policydesk.core.calendars import to_latin_digits

    text = to_latin_digits(query)
    return bool(re.fullmatch(r"[\d\s()+\-.]{6,}", text.strip())) and sum(c.isdigit() for c in text) >= 6
