"""Tariff presets: ready-made tariffs an administrator loads into a product (then edits as data)."""

from django.utils.translation import gettext_lazy as _

PRESETS = {
    "osago": _("Russian motor TPL (ОСАГО), Bank of Russia coefficients"),
}


def get_preset(name: str) -> dict | None:
    if name == "osago":
        from .osago import PRESET

        return PRESET
    return None
