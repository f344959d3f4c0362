"""Printing documents: pick the template (an administrator's or the shipped default), render, PDF.

``render_document`` is what every app calls to print: billing for payment receipts, this app for
policy application forms.
"""

from pathlib import Path

from django.conf import settings
from django.template import Context, TemplateSyntaxError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from policydesk.core.errors import ApplicationError
from policydesk.core.services import service

from .choices import DocumentKind
from .models import PrintTemplate
from .printing import PRINT_ENGINE, guard, html_to_pdf, print_prefs, wrap_page

DEFAULTS_DIR = Path(__file__).resolve().parent / "templates" / "documents" / "defaults"


class DocumentTemplateError(ApplicationError):
    """A print template that cannot be rendered; the message says which one, where and why."""


def supported_language(language: str | None) -> str:
    codes = [code for code, _name in settings.LANGUAGES]
    language = (language or "").lower()
    if language in codes:
        return language
    base = language.split("-")[0]
    return next((code for code in codes if code.split("-")[0] == base), settings.LANGUAGE_CODE)


def agency_name() -> str:
    """The agency's name on printed documents (the AGENCY_NAME setting, from the environment)."""
    return settings.AGENCY_NAME


def default_body(kind: str) -> str:
    """The shipped template of a document (translated through {% translate %}, so one for every language)."""
    if kind not in DocumentKind.values:
        raise ApplicationError(_("There is no such document to print."), {"kind": [_("Unknown document.")]})
    return (DEFAULTS_DIR / f"{kind}.html").read_text(encoding="utf-8")


def template_for(kind: str, language: str) -> PrintTemplate | None:
    """The administrator's template in use for this document and language (or for any language), if any."""
    rows = [t for t in PrintTemplate.objects.filter(kind=kind, is_active=True, language__in=[language, ""])]
    rows.sort(key=lambda t: t.language != language)  # the language's own template before the "any" one
    return rows[0] if rows else None


def _error(name: str, exc: Exception) -> DocumentTemplateError:
    debug = getattr(exc, "template_debug", None) or {}
    detail = str(debug.get("message") or exc) or exc.__class__.__name__
    if debug.get("line"):
        message = _("The print template “%(name)s” has an error on line %(line)s: %(error)s") % {
            "name": name, "line": debug["line"], "error": detail}
    else:
        message = _("The print template “%(name)s” has an error: %(error)s") % {"name": name, "error": detail}
    message += " " + _("An administrator can correct it in Settings → Print templates.")
    return DocumentTemplateError(message, {"body": [message]})


def render_body(body: str, context: dict, *, language: str, name: str = "", calendar: str | None = None,
                persian_digits: bool | None = None) -> str:
    """Render a print template's body (HTML fragment) with ``context``, guarded, in ``language``."""
    language = supported_language(language)
    name = name or _("default template")
    with translation.override(language):
        try:
            template = PRINT_ENGINE.from_string(body)
        except TemplateSyntaxError as exc:
            raise _error(name, exc) from None
        data = {str(key): guard(value) for key, value in context.items()}
        data["print_prefs"] = print_prefs(language=language, calendar=calendar, persian_digits=persian_digits)
        try:
            return template.render(Context(data, autoescape=True))
        except Exception as exc:  # noqa: BLE001 (any failure of an administrator's template is reported, not a 500)
            raise _error(name, exc) from None


def render_document_html(*, kind: str, context: dict, language: str, body: str | None = None,
                         name: str = "") -> str:
    """The full HTML page of a document (what render_document turns into a PDF)."""
    language = supported_language(language)
    context = {"today": timezone.localdate(), "agency_name": agency_name(), **context}
    reader = context.pop("user", None)  # never handed to the template: only its calendar and digits are used
    calendar = context.pop("calendar", None) or getattr(reader, "calendar", None)
    digits = context.pop("persian_digits", None)
    if digits is None and reader is not None:
        digits = getattr(reader, "persian_digits", None)
    if body is None:
        stored = template_for(kind, language)
        body = stored.body if stored else default_body(kind)
        name = stored.name if stored else ""
    content = render_body(body, context, language=language, name=name, calendar=calendar, persian_digits=digits)
    with translation.override(language):
        title = str(DocumentKind(kind).label).capitalize()
    return wrap_page(content, language=language, title=title)


def render_document(*, kind: str, context: dict, language: str) -> bytes:
    """A document as PDF bytes.

    ``kind`` is a DocumentKind value. ``context`` is what the template reads (for "payment_receipt":
    payment, policy, client, allocations, agency_name); it may also carry ``user`` (the reader:
    only their calendar and digits are used), or ``calendar`` ("gregorian"/"jalali") and
    ``persian_digits`` directly. Persian prints right to left, in the Jalali calendar unless the
    reader says otherwise. Raises DocumentTemplateError (an ApplicationError) with a message for
    people when an administrator's template is broken.
    """
    if kind not in DocumentKind.values:
        raise ApplicationError(_("There is no such document to print."), {"kind": [_("Unknown document.")]})
    return html_to_pdf(render_document_html(kind=kind, context=context, language=language))


@service
def print_template_reset(*, actor, template: PrintTemplate) -> PrintTemplate:
    """Put the shipped default back into an administrator's template (the change history keeps the old one)."""
    template.body = default_body(template.kind)
    template.full_clean()
    template.save()
    return template
