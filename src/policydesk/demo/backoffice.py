"""The office's paperwork in the demo, recorded through the services by the people who do it:
strict-reporting forms (received by the team lead, issued to the demo agents, printed on by the
agents for their ОСАГО policies, a few spoiled or lost) and commission statements from the insurers
(recorded by the administrator, allocated to the policies they pay for).

The amounts are bounded whatever the number of clients (two batches of forms, a few statements per
insurer), so this costs the same for 500 clients as for a million.
"""

import datetime
from decimal import Decimal

from django.db.models import Max
from django.utils import timezone

from policydesk.accounts.models import User
from policydesk.billing.services import commission_receipt_record
from policydesk.blanks.choices import FormStatus
from policydesk.blanks.models import Form, FormType
from policydesk.blanks.services import batch_receive, form_use, form_write_off, forms_issue
from policydesk.core.actor import acting_as
from policydesk.insurance.choices import DeliveryMethod, PolicyState
from policydesk.insurance.models import LineOfBusiness, Policy
from policydesk.insurance.services import refresh_completeness

from .catalogue import OSAGO_PRODUCT, Catalogue

DAY = datetime.timedelta(days=1)
FORM_TYPE = "Полис ОСАГО"
FORM_SERIES = "ТТТ"
FIRST_FORM_NUMBER = 412_345_001
# Deliveries of forms: (days ago, how many, how many each agent gets).
FORM_BATCHES = [(400, 200, 80), (45, 200, 50)]
FORM_AGENTS = ("agent1", "agent2")
# Of an agent's ОСАГО policies issued while they hold forms, this share is printed on paper.
PAPER_SHARE = 0.75
WRITE_OFFS = [("spoiled", "Испорчен при заполнении"), ("spoiled", "Испорчен при печати"), ("lost", "Утерян агентом")]
# Commission statements: the last few whole months, at most this many policies each.
STATEMENT_MONTHS = 3
STATEMENT_POLICIES = 40


def record_back_office(catalogue: Catalogue, *, seed: int, today: datetime.date | None = None) -> None:
    today = today or timezone.localdate()
    users = {u.username: u for u in User.objects.filter(username__in=("admin", "lead", *FORM_AGENTS))}
    admin = users.get("admin")
    if admin is None:
        return
    record_forms(catalogue, users, today)
    record_commission(catalogue, admin, seed=seed, today=today)


# --- Strict-reporting forms ------------------------------------------------------------------------


def _form_type(catalogue: Catalogue, admin) -> FormType:
    insurer = catalogue.insurers[OSAGO_PRODUCT[0]]
    form_type = FormType.objects.filter(insurer=insurer, name=FORM_TYPE).first()
    if form_type is None:
        with acting_as(admin):
            form_type = FormType.objects.create(
                insurer=insurer, name=FORM_TYPE, line=LineOfBusiness.objects.filter(code="motor_tpl").first(),
                series_format="ТТТ", number_digits=10)
    return form_type


def record_forms(catalogue: Catalogue, users: dict, today: datetime.date) -> None:
    admin, lead = users["admin"], users.get("lead")
    agents = [users[name] for name in FORM_AGENTS if name in users]
    keeper = lead if lead is not None and lead.has_perm("blanks.add_formbatch") else admin
    form_type = _form_type(catalogue, admin)
    last = Form.objects.filter(form_type=form_type, series=FORM_SERIES).aggregate(last=Max("number"))["last"]
    number = (last or FIRST_FORM_NUMBER - 1) + 1
    for index, (days_ago, quantity, each) in enumerate(FORM_BATCHES, start=1):
        received = today - DAY * days_ago
        batch_receive(actor=keeper, form_type=form_type, series=FORM_SERIES, first_number=number,
                      last_number=number + quantity - 1, received_on=received,
                      document=f"Акт приёма-передачи бланков № {received:%y}-{index:02d}")
        first = number
        for agent in agents:
            # The team lead hands forms to their own team; the administrator to anyone else.
            issuer = keeper if keeper.pk != admin.pk and agent.pk in keeper.team_member_ids() else admin
            forms_issue(actor=issuer, form_type=form_type, series=FORM_SERIES, first=first, last=first + each - 1,
                        to_agent=agent, issued_on=received + 2 * DAY)
            first += each
        number += quantity
    for agent in agents:
        _print_policies(form_type, agent)
    if agents and keeper.pk != admin.pk and agents[0].pk in keeper.team_member_ids():
        _write_off(form_type, keeper, agents[0], today)


def _print_policies(form_type: FormType, agent) -> None:
    """The agent prints some of their ОСАГО policies on the forms they hold, in the order issued;
    a printed policy carries the form's series and number."""
    forms = list(Form.objects.filter(form_type=form_type, holder=agent, status=FormStatus.ISSUED)
                 .select_related("batch").order_by("number"))
    if not forms:
        return
    earliest = min(f.issued_on for f in forms)
    policies = (Policy.objects.filter(insurer=form_type.insurer_id, line=form_type.line_id, manager=agent,
                                      state=PolicyState.ISSUED, issue_date__gte=earliest, blank_form__isnull=True)
                .exclude(series=FORM_SERIES).order_by("issue_date", "pk"))
    for policy in policies:
        if (policy.pk * 7919) % 100 >= PAPER_SHARE * 100:  # the rest are electronic policies
            continue
        form = next((f for f in forms if f.issued_on <= policy.issue_date), None)
        if form is None:
            continue
        forms.remove(form)
        form_use(actor=agent, policy=policy, form_type=form_type, series=FORM_SERIES, number=form.number,
                 used_on=policy.issue_date)
        policy.series, policy.number = FORM_SERIES, form_type.format_number(form.number)
        policy.delivery_method = DeliveryMethod.IN_PERSON
        Policy.objects.filter(pk=policy.pk).update(series=policy.series, number=policy.number,
                                                   delivery_method=policy.delivery_method)
        refresh_completeness(policy)  # a policy waiting for its number has it now
        if not forms:
            break


def _write_off(form_type: FormType, keeper, agent, today: datetime.date) -> None:
    forms = list(Form.objects.filter(form_type=form_type, holder=agent, status=FormStatus.ISSUED)
                 .order_by("-number")[:len(WRITE_OFFS)])
    for form, (status, reason) in zip(forms, WRITE_OFFS, strict=False):
        on = min(today, form.issued_on + DAY * (form.number % 20))
        form_write_off(actor=keeper, form=form, status=status, reason=reason, written_off_on=on)


# --- Commission statements -----------------------------------------------------------------------


def _months(today: datetime.date, count: int) -> list[tuple[datetime.date, datetime.date]]:
    """The last ``count`` whole months before ``today``'s, oldest first."""
    periods = []
    end = today.replace(day=1) - DAY
    for _ in range(count):
        start = end.replace(day=1)
        periods.append((start, end))
        end = start - DAY
    return periods[::-1]


def record_commission(catalogue: Catalogue, admin, *, seed: int, today: datetime.date) -> None:
    """Per insurer, currency and month: a statement received two to four weeks after the month,
    paying the commission of the month's policies (a few short-paid, a little left unallocated)."""
    for key, insurer in catalogue.insurers.items():
        if insurer.is_competitor:
            continue
        for index, (start, end) in enumerate(_months(today, STATEMENT_MONTHS)):
            received = min(today, end + DAY * (14 + (seed + index) % 14))
            policies = (Policy.objects.filter(insurer=insurer, state=PolicyState.ISSUED, start_date__gte=start,
                                              start_date__lte=end, commission_amount__gt=0,
                                              commission_allocations__isnull=True).order_by("pk"))
            by_currency: dict[str, list] = {}
            for policy in policies[:STATEMENT_POLICIES * 2]:
                by_currency.setdefault(policy.currency, []).append(policy)
            for currency, chosen in sorted(by_currency.items()):
                allocations = []
                for policy in chosen[:STATEMENT_POLICIES]:
                    amount = policy.commission_amount
                    if policy.pk % 10 == 0 and amount >= Decimal("1.00"):  # short-paid: the insurer's error
                        amount = (amount * Decimal("0.9")).quantize(Decimal("0.01"))
                    allocations.append((policy, amount))
                total = sum((amount for _p, amount in allocations), Decimal("0"))
                extra = (total * Decimal("0.03")).quantize(Decimal("0.01")) if index == 0 else Decimal("0")
                commission_receipt_record(
                    actor=admin, insurer=insurer, amount=total + extra, received_on=received, currency=currency,
                    allocations=allocations, reference=f"{key.split('_')[0].upper()}-{end:%Y%m}-{insurer.pk:03d}",
                    period_start=start, period_end=end)
