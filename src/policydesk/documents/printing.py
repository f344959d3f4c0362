"""From a template and data to a PDF: the print engine, the guarded context, WeasyPrint.

Print templates are written by administrators and read by anyone who prints. So they run in an
engine of their own: no template loaders (no ``{% include %}`` of files on the server), only the
i18n and print tag libraries, autoescaping on; and they see the data through ``guard()``:
model instances expose their fields, their own properties and a few listed relations, never a
user's password or token, never a manager that reaches beyond the printed record (an insurer's
every policy, a user's every client). WeasyPrint fetches nothing but ``data:`` URLs, so that a
template cannot embed a file of the server into the PDF.
"""

import datetime
from decimal import Decimal
from functools import cache

from django.conf import settings
from django.db import models
from django.template import Engine
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe

PRINT_ENGINE = Engine(
    debug=True,  # errors carry their line, for the administrator's message
    loaders=[],
    autoescape=True,
    string_if_invalid="",
    libraries={"i18n": "django.templatetags.i18n", "print": "policydesk.documents.templatetags.print_tags"},
    builtins=["django.templatetags.i18n", "policydesk.documents.templatetags.print_tags"],
)

_PLAIN = (str, int, float, Decimal, bool, datetime.date, datetime.time, datetime.timedelta, type(None), Promise,
          SafeString)
# Names a template never reads, whatever the object.
_BLOCKED_WORDS = ("password", "token", "secret", "session")
# Links to other clients, who may be outside the reader's scope: a client's referrer and survivor, a
# policy's beneficiary (the context gives it, scope-checked, as ``beneficiary``).
_BLOCKED_RELATIONS = {"referred_by", "merged_into", "beneficiary"}
# What a template may read of a user: a name to print, nothing else.
_USER_FIELDS = {"first_name", "last_name", "username", "email", "phone_extension", "get_full_name",
                "get_short_name", "department", "pk", "id"}
# Lists a template may walk from a record: the record's own parts, never a catalogue's every row.
ALLOWED_LISTS = {
    "clients.client": {"phones", "emails", "addresses", "messengers"},
    # Not insured_persons: other clients, given scope-checked in the context as ``insured_persons``.
    "insurance.policy": {"objects_insured", "installments"},
}


def guard(value):
    """``value`` as a print template may see it."""
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, Guarded):
        return value
    if isinstance(value, models.Model):
        return Guarded(value)
    if isinstance(value, dict):
        return {str(k): guard(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset, models.QuerySet)):
        return [guard(v) for v in value]
    if isinstance(value, models.Manager):
        return []
    return str(value)


def unwrap(value):
    """The real object behind a guarded one (for tags written in Python, never for templates)."""
    return object.__getattribute__(value, "_obj") if isinstance(value, Guarded) else value


@cache
def _relations(model) -> dict:
    """Relation name → (is a list, related model) for a model's forward and reverse relations."""
    found = {}
    for f in model._meta.get_fields():
        if not f.is_relation:
            continue
        if f.auto_created and not f.concrete:
            found[f.get_accessor_name()] = (True, f.related_model)
        elif f.many_to_many:
            found[f.name] = (True, f.related_model)
        else:
            found[f.name] = (False, f.related_model)
    return found


def _callable(func):
    def call():
        try:
            return guard(func())
        except TypeError:  # a method that needs arguments: nothing to show
            return ""

    call.alters_data = getattr(func, "alters_data", False)
    return call


def _defined_by_policydesk(model, name: str) -> bool:
    for klass in model.__mro__:
        if name in klass.__dict__:
            return klass.__module__.startswith("policydesk.")
    return False


class Guarded:
    """A model instance seen through ``guard()``."""

    __slots__ = ("_obj",)

    def __init__(self, obj):
        object.__setattr__(self, "_obj", obj)

    def __str__(self):
        return str(self._obj)

    def __eq__(self, other):
        return unwrap(other) == self._obj

    def __hash__(self):
        return hash(self._obj)

    def __getitem__(self, key):
        raise KeyError(key)

    def __getattr__(self, name):
        obj = self._obj
        model = type(obj)
        if name.startswith("_") or any(word in name.lower() for word in _BLOCKED_WORDS):
            raise AttributeError(name)
        if model._meta.label == settings.AUTH_USER_MODEL:
            if name not in _USER_FIELDS:
                raise AttributeError(name)
            if name.startswith("get_"):
                return _callable(getattr(obj, name))
        relations = _relations(model)
        if name in relations:
            is_list, related = relations[name]
            if name in _BLOCKED_RELATIONS:
                raise AttributeError(name)
            if is_list:
                if name not in ALLOWED_LISTS.get(model._meta.label_lower, set()):
                    raise AttributeError(name)
                try:
                    return [guard(v) for v in getattr(obj, name).all()]
                except ValueError:  # an unsaved record (the preview's sample) has no related rows
                    return []
            return guard(getattr(obj, name, None))
        if name in ("pk", "id") or _is_concrete_field(model, name):
            return guard(getattr(obj, name))
        if name.startswith("get_") and name.endswith("_display"):
            return _callable(getattr(obj, name))
        if _defined_by_policydesk(model, name):
            attribute = getattr(model, name, None)
            if isinstance(attribute, property):
                return guard(getattr(obj, name))
            if callable(attribute) and name.startswith(("get_", "is_", "has_")):
                return _callable(getattr(obj, name))
        raise AttributeError(name)


def _is_concrete_field(model, name: str) -> bool:
    try:
        field = model._meta.get_field(name)
    except Exception:  # noqa: BLE001 (FieldDoesNotExist, or a reverse accessor name)
        return False
    return field.concrete and not field.is_relation


def print_prefs(*, language: str, calendar: str | None = None, persian_digits: bool | None = None) -> dict:
    """The reader's calendar and digits: as given, else Jalali with Persian digits for Persian."""
    from policydesk.core import calendars

    persian = language.startswith("fa")
    return {
        "language": language,
        "calendar": calendar or (calendars.JALALI if persian else calendars.GREGORIAN),
        "persian_digits": persian if persian_digits is None else bool(persian_digits),
        "rtl": translation.get_language_info(language)["bidi"],
    }


def wrap_page(content: str, *, language: str, title: str = "", landscape: bool = False) -> str:
    """The HTML page a printed body goes into: print stylesheet, fonts, language and direction."""
    with translation.override(language):
        return render_to_string("documents/print_base.html", {
            "content": mark_safe(content),  # noqa: S308 (rendered by the print engine, autoescaped)
            "language": language,
            "rtl": translation.get_language_bidi(),
            "title": title,
            "landscape": landscape,
        })


def _data_urls_only():
    """A WeasyPrint URL fetcher that fetches ``data:`` URLs and refuses every other (file:, http:, ...)."""
    try:
        from weasyprint.urls import URLFetcher  # WeasyPrint 68 and later
    except ImportError:  # older WeasyPrint: a plain function
        from weasyprint import default_url_fetcher

        def fetch(url, timeout=10, ssl_context=None):
            if not url.startswith("data:"):
                raise ValueError(f"print templates may not fetch {url}")
            return default_url_fetcher(url, timeout=timeout, ssl_context=ssl_context)

        return fetch
    return URLFetcher(allowed_protocols={"data"})


def html_document(html: str):
    """WeasyPrint's HTML object for a page (tests look at its layout)."""
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=_data_urls_only(), base_url=None)


def html_to_pdf(html: str) -> bytes:
    return html_document(html).write_pdf()

