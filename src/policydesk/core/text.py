"""Text and phone normalisation shared by search, duplicates and import."""

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


def phone_candidates(raw: str) -> list[str]:
    """Every E.164 number that the typed text can mean, the agency's own region first.

    ``8 912 345-67-89`` is Russian, ``09121234567`` Iranian: each is read in each configured region
    and every valid reading is searched.
    """
    from policydesk.core.calendars import to_latin_digits

    text = to_latin_digits(str(raw or "")).strip()
    digits = re.sub(r"\D", "", text)
    if len(digits) < 6:
        return []
    if text.startswith("+") or text.startswith("00"):
        try:
            return [normalize_phone(text)]
        except ValueError:
            return []
    found: list[str] = []
    regions = [settings.PHONE_REGION] + [r for r in settings.PHONE_REGIONS if r != settings.PHONE_REGION]
    for region in regions:
        try:
            number = normalize_phone(text, region)
        except ValueError:
            continue
        if number not in found:
            found.append(number)
    # Digits typed with the country code but without "+" (79123456789).
    try:
        number = normalize_phone("+" + digits)
        if number not in found:
            found.append(number)
    except ValueError:
        pass
    return found


def looks_like_phone(query: str) -> bool:
    from policydesk.core.calendars import to_latin_digits

    text = to_latin_digits(query)
    return bool(re.fullmatch(r"[\d\s()+\-.]{6,}", text.strip())) and sum(c.isdigit() for c in text) >= 6
