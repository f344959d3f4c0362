"""Tax identification numbers, checked by the rules of the agency's country.

RU: ИНН (10 digits for organisations, 12 for persons, check digits). IR: کد ملی (10 digits, check
digit) for persons, شناسه ملی (11 digits, check digit) for organisations. AZ: VÖEN (10 digits).
CN: 统一社会信用代码 (18 characters, check character) for organisations, 居民身份证号码 (18, check
character) for persons. Elsewhere: 5 to 20 letters and digits.
"""

import re

from django.utils.translation import gettext as _

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _ru_inn(value: str) -> bool:
    def check(digits, weights):
        return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10

    if len(value) == 10:
        return check(value, [2, 4, 10, 3, 5, 9, 4, 6, 8]) == int(value[9])
    if len(value) == 12:
        return (check(value, [7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == int(value[10])
                and check(value, [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == int(value[11]))
    return False


def _ir_national_code(value: str) -> bool:
    if len(value) != 10 or len(set(value)) == 1:
        return False
    total = sum(int(value[i]) * (10 - i) for i in range(9)) % 11
    check = int(value[9])
    return check == total if total < 2 else check == 11 - total


def _ir_company_id(value: str) -> bool:
    if len(value) != 11:
        return False
    base = int(value[9]) + 2
    weights = [29, 27, 23, 19, 17, 29, 27, 23, 19, 17]
    total = sum((int(value[i]) + base) * weights[i] for i in range(10)) % 11
    return (total % 10) == int(value[10])


def _cn_uscc(value: str) -> bool:
    if len(value) != 18 or any(ch not in _USCC_CHARS for ch in value):
        return False
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = sum(_USCC_CHARS.index(ch) * w for ch, w in zip(value[:17], weights, strict=False))
    return _USCC_CHARS[(31 - total % 31) % 31] == value[17]


def _cn_resident_id(value: str) -> bool:
    if not re.fullmatch(r"\d{17}[\dX]", value):
        return False
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(value[:17], weights, strict=False))
    return "10X98765432"[total % 11] == value[17]


def normalize_tax_id(value: str) -> str:
    return re.sub(r"[\s\-.]", "", str(value or "")).upper()


def tax_id_error(value: str, *, kind: str, country: str) -> str | None:
    """None when ``value`` is a valid tax id for a client of ``kind`` in ``country``, else why not."""
    if not value:
        return None
    country = (country or "").upper()
    if country == "RU":
        # Organisations have 10 digits; persons and sole traders (who may be registered as either) 12.
        if not value.isdigit() or len(value) not in (10, 12):
            return _("An INN has 10 digits (organisations) or 12 digits (persons).")
        return None if _ru_inn(value) else _("The INN's check digits do not match: check for a typo.")
    if country == "IR":
        valid = _ir_company_id(value) if len(value) == 11 else _ir_national_code(value)
        return None if value.isdigit() and valid else _("This national code or national id is not valid.")
    if country == "AZ":
        return None if re.fullmatch(r"\d{10}", value) else _("A VÖEN has 10 digits.")
    if country == "CN":
        valid = _cn_uscc(value) if kind == "organisation" else (_cn_resident_id(value) or _cn_uscc(value))
        return None if valid else _("This identification number is not valid.")
    if not re.fullmatch(r"[0-9A-Z]{5,20}", value):
        return _("A tax id has 5 to 20 letters and digits.")
    return None
