"""The placeholders a template may use, by event, and the values a message gets for them.

Every value is text, formatted for the reader: dates in the reader's calendar (Jalali with Persian
digits for Persian), money with the currency, choices in the reader's language. A placeholder whose
record is missing (a general message has no policy) or whose field is empty renders as empty text.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from policydesk.core import calendars
from policydesk.core.formatting import format_money

from .choices import Event


@dataclass(frozen=True)
class Placeholder:
    name: str  # dotted: "policy.end_date"
    label: str
    example: str


GROUPS: dict[str, list[Placeholder]] = {
    "client": [
        Placeholder("client.display_name", _("client's full name"), "Ivanova Anna Petrovna"),
        Placeholder("client.first_name", _("client's first name"), "Anna"),
        Placeholder("client.middle_name", _("client's middle name"), "Petrovna"),
        Placeholder("client.last_name", _("client's last name"), "Ivanova"),
        Placeholder("client.birth_date", _("client's birth date"), "14.03.1985"),
    ],
    "agent": [
        Placeholder("agent.name", _("the client's agent"), "Ivan Petrov"),
        Placeholder("agent.email", _("the agent's email"), "agent@agency.example"),
    ],
    "agency": [
        Placeholder("agency.name", _("the agency's name"), "PolicyDesk"),
    ],
    "policy": [
        Placeholder("policy.number", _("policy number"), "XXX 0123456789"),
        Placeholder("policy.line", _("line of business"), "Motor third-party liability"),
        Placeholder("policy.insurer", _("insurer"), "Reliable Insurance"),
        Placeholder("policy.product", _("product"), "OSAGO Standard"),
        Placeholder("policy.start_date", _("policy start date"), "01.01.2026"),
        Placeholder("policy.end_date", _("policy end date"), "31.12.2026"),
        Placeholder("policy.premium", _("premium"), "12,000.00 RUB"),
        Placeholder("policy.object", _("insured object"), "Toyota Camry A123BC77"),
    ],
    "installment": [
        Placeholder("installment.number", _("installment number"), "2"),
        Placeholder("installment.due_date", _("installment due date"), "15.06.2026"),
        Placeholder("installment.amount", _("installment amount"), "3,000.00 RUB"),
        Placeholder("installment.left", _("left to pay"), "3,000.00 RUB"),
    ],
    "check": [
        Placeholder("check.kind", _("check or note"), "check"),
        Placeholder("check.number", _("check number"), "000123"),
        Placeholder("check.bank", _("bank"), "Bank Melli"),
        Placeholder("check.due_date", _("check due date"), "20.06.2026"),
        Placeholder("check.amount", _("check amount"), "5,000,000.00 IRR"),
    ],
    "claim": [
        Placeholder("claim.number", _("claim number"), "CL-000123"),
        Placeholder("claim.kind", _("claim type"), "road accident"),
        Placeholder("claim.event_date", _("event date"), "03.05.2026"),
        Placeholder("claim.paid", _("amount paid"), "45,000.00 RUB"),
        Placeholder("claim.status", _("claim status"), "paid"),
    ],
    "task": [
        Placeholder("task.title", _("task"), "Renewal meeting"),
        Placeholder("task.due", _("task due"), "12.06.2026 10:00"),
    ],
    "request": [
        Placeholder("request.number", _("request number"), "№77"),
        Placeholder("request.subject", _("request subject"), "Copy of the policy"),
        Placeholder("request.resolution", _("resolution"), "The copy was sent by email."),
    ],
}

EVENT_GROUPS: dict[str, tuple[str, ...]] = {
    Event.GENERAL: ("client", "agent", "agency"),
    Event.BIRTHDAY: ("client", "agent", "agency"),
    Event.POLICY_EXPIRING: ("client", "agent", "agency", "policy"),
    Event.POLICY_ISSUED: ("client", "agent", "agency", "policy"),
    Event.POLICY_RENEWED: ("client", "agent", "agency", "policy"),
    Event.INSTALLMENT_DUE: ("client", "agent", "agency", "policy", "installment"),
    Event.CHECK_DUE: ("client", "agent", "agency", "policy", "check"),
    Event.CLAIM_OPENED: ("client", "agent", "agency", "policy", "claim"),
    Event.CLAIM_PAID: ("client", "agent", "agency", "policy", "claim"),
    Event.TASK_DUE: ("client", "agent", "agency", "task"),
    Event.REQUEST_RESOLVED: ("client", "agent", "agency", "request"),
}


def placeholders_for(event: str) -> list[Placeholder]:
    return [p for group in EVENT_GROUPS.get(event, EVENT_GROUPS[Event.GENERAL]) for p in GROUPS[group]]


def allowed_names(event: str) -> set[str]:
    return {p.name for p in placeholders_for(event)}


def example_context(event: str) -> dict:
    context: dict = {}
    for placeholder in placeholders_for(event):
        group, field = placeholder.name.split(".", 1)
        context.setdefault(group, {})[field] = placeholder.example
    return context


class Reader:
    """How the reader reads dates and numbers: their language, calendar and digits."""

    def __init__(self, language: str):
        self.language = language or settings.LANGUAGE_CODE
        persian = self.language.startswith("fa")
        self.calendar = calendars.JALALI if persian else calendars.GREGORIAN
        self.persian_digits = persian

    def date(self, value) -> str:
        return calendars.format_date(value, self.calendar, self.persian_digits) if value else ""

    def datetime(self, value) -> str:
        return calendars.format_datetime(value, self.calendar, self.persian_digits) if value else ""

    def money(self, amount, currency: str) -> str:
        return format_money(amount, currency, self.persian_digits) if amount is not None else ""


def message_context(*, client=None, language: str, policy=None, installment=None, instrument=None, claim=None,
                    task=None, request=None) -> dict:
    """The placeholders' values for one message, in ``language``. Reads only what is given (and the
    client's curator and the policy's line, insurer, product and objects when a policy is given:
    callers that render many messages select them together)."""
    reader = Reader(language)
    with translation.override(reader.language):
        context: dict = {"agency": {"name": getattr(settings, "AGENCY_NAME", "PolicyDesk")}}
        if client is not None:
            context["client"] = {
                "display_name": client.display_name, "first_name": client.first_name or client.display_name,
                "middle_name": client.middle_name, "last_name": client.last_name,
                "birth_date": reader.date(client.birth_date)}
            curator = client.curator
            if curator is not None:
                context["agent"] = {"name": curator.get_full_name() or curator.username, "email": curator.email}
        if policy is not None:
            context["policy"] = {
                "number": str(policy), "line": str(policy.line) if policy.line_id else "",
                "insurer": str(policy.insurer) if policy.insurer_id else "",
                "product": policy.product.name if policy.product_id else "",
                "start_date": reader.date(policy.start_date), "end_date": reader.date(policy.end_date),
                "premium": reader.money(policy.premium, policy.currency),
                "object": ", ".join(str(o) for o in policy.objects_insured.all()[:3])}
        if installment is not None:
            context["installment"] = {
                "number": str(installment.number), "due_date": reader.date(installment.due_date),
                "amount": reader.money(installment.amount, installment.policy.currency),
                # What is left: the open amount when the caller annotated it (with_payment_state).
                "left": reader.money(getattr(installment, "open_amount", installment.amount),
                                     installment.policy.currency)}
        if instrument is not None:
            context["check"] = {
                "kind": instrument.get_kind_display(), "number": instrument.number, "bank": instrument.bank,
                "due_date": reader.date(instrument.due_date),
                "amount": reader.money(instrument.amount, instrument.currency)}
        if claim is not None:
            context["claim"] = {
                "number": claim.number, "kind": claim.get_kind_display(), "event_date": reader.date(claim.event_date),
                "paid": reader.money(claim.paid_amount, claim.currency), "status": claim.get_status_display()}
        if task is not None:
            context["task"] = {"title": task.title, "due": reader.datetime(task.due_at)}
        if request is not None:
            context["request"] = {"number": request.number, "subject": request.subject,
                                  "resolution": request.resolution}
        return context
