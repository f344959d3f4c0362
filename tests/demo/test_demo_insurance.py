"""The demo agency's book: policies of every status, renewal chains, money, forms and commission, all
generated in bulk yet passing the models' and services' own rules, and each agent seeing their own."""

import datetime
from collections import Counter, defaultdict
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.db.models import Count, F
from django.test import Client as BrowserClient
from django.test import override_settings
from django.utils import timezone

from policydesk.accounts.models import User
from policydesk.billing.choices import INSTRUMENT_METHODS, InstallmentState, InstrumentStatus
from policydesk.billing.models import (
    HALF_CENT,
    Allocation,
    CommissionAllocation,
    CommissionReceipt,
    Installment,
    Payment,
    PaymentInstrument,
)
from policydesk.billing.selectors import commission_reconciliation
from policydesk.billing.services import equal_parts
from policydesk.blanks.choices import FormStatus, MovementKind
from policydesk.blanks.models import Form, FormMovement
from policydesk.blanks.selectors import batch_accounting, movement_report
from policydesk.demo.generate import generate_demo
from policydesk.insurance.choices import CancelReason, ObjectKind, PolicyState, PolicyStatus
from policydesk.insurance.models import InsuredObject, ObjectOwnership, Policy
from policydesk.insurance.services import commission_amount, missing_policy_fields, policy_renew
from policydesk.insurance.services_catalogue import (
    _validate_object,
    normalize_plate,
    normalize_vin,
    vin_error,
)
from policydesk.reports.choices import RenewalReportKind
from policydesk.reports.selectors import renewal_report
from policydesk.tariffs.services import quote, renewal_premium

N = 200
SEED = 23
CURRENCIES = {"ru": {"RUB"}, "fa": {"IRR"}, "az": {"AZN"}, "zh-hans": {"CNY"}, "en": {"USD", "EUR"}}


@pytest.fixture(scope="module")
def book(django_db_setup, django_db_blocker):
    """N demo clients and their book, generated once for the module inside a transaction that is
    rolled back afterwards (each test runs in a savepoint within it)."""
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            generate_demo(N, seed=SEED)
        yield SimpleNamespace(today=timezone.localdate(), admin=User.objects.get(username="admin"))
        transaction.set_rollback(True)


@pytest.fixture
def today(book, db):
    return book.today


def test_policies_of_every_status(today):
    statuses = Counter(Policy.objects.with_status(today).values_list("current_status", flat=True))
    assert set(statuses) == set(PolicyStatus.values), statuses
    assert statuses[PolicyStatus.ACTIVE] > statuses[PolicyStatus.CANCELLED]
    # Python's status agrees with the database's.
    for policy in Policy.objects.with_status(today).order_by("pk")[:60]:
        assert policy.status_on(today) == policy.current_status


def test_most_clients_hold_one_to_four_policies(today):
    per_client = Counter(Policy.objects.values_list("client_id", flat=True))
    assert 0.6 * N <= len(per_client) <= 0.8 * N
    assert max(per_client.values()) <= 5
    # The client status means what it says: prospects have no policy with the agency, former
    # clients none in force.
    prospects = Policy.objects.filter(client__status="prospect")
    assert not prospects.filter(state=PolicyState.ISSUED, insurer__is_competitor=False).exists()
    former = Policy.objects.with_status(today).filter(client__status="former")
    assert not former.filter(current_status__in=[PolicyStatus.ACTIVE, PolicyStatus.INCOMPLETE]).exists()


def test_policies_are_managed_by_the_clients_curators(today):
    assert not Policy.objects.exclude(manager=F("client__curator")).exists()
    assert not Policy.objects.exclude(created_by=F("client__curator")).exists()


def test_renewal_chains_link_consecutive_terms(today):
    renewals = Policy.objects.filter(renews__isnull=False).select_related("renews")
    assert renewals.filter(state=PolicyState.ISSUED).count() > 20
    assert renewals.filter(state=PolicyState.DRAFT).exists()  # renewals under way
    for policy in renewals:
        old = policy.renews
        assert old.state == PolicyState.ISSUED
        assert policy.start_date == old.end_date + datetime.timedelta(days=1)
        assert (policy.client_id, policy.product_id, policy.manager_id) == (old.client_id, old.product_id,
                                                                           old.manager_id)
    # Three-year chains exist, and no policy is renewed twice.
    assert Policy.objects.filter(renews__renews__isnull=False).exists()
    assert not Policy.objects.filter(renews__isnull=False).exclude(state=PolicyState.CANCELLED).values("renews") \
        .annotate(n=Count("pk")).filter(n__gt=1).exists()


def test_renewal_drafts_are_what_policy_renew_makes(today):
    drafts = Policy.objects.filter(state=PolicyState.DRAFT, renews__isnull=False).select_related("renews", "product")
    assert drafts.exists()
    for draft in drafts:
        old = draft.renews
        assert draft.number == "" and draft.issue_date is None and draft.sum_insured == old.sum_insured
        expected = renewal_premium(policy=old, start_date=draft.start_date)
        assert draft.premium == (old.premium if expected is None else expected)


def test_expiring_soon_for_the_renewal_reports(today, book):
    soon = Policy.objects.with_status(today).filter(
        current_status__in=[PolicyStatus.ACTIVE, PolicyStatus.INCOMPLETE],
        end_date__range=(today, today + datetime.timedelta(days=30)))
    assert soon.count() >= 10
    for kind in RenewalReportKind.values:
        past = kind in (RenewalReportKind.NOT_RENEWED, RenewalReportKind.CANCELLED)
        window = (today - datetime.timedelta(days=90), today) if past else (today, today + datetime.timedelta(days=30))
        groups = renewal_report(user=book.admin, kind=kind, date_from=window[0], date_to=window[1], today=today)
        assert sum(group.count for group in groups) > 0, kind


def test_osago_premiums_come_from_the_tariff(today):
    priced = Policy.objects.exclude(rating_factors={}).select_related("product")
    assert priced.count() > 5
    for policy in priced[:40]:
        factors = policy.rating_factors
        result = quote(product=policy.product, factors=factors, base_choice=factors["base_amount"],
                       sum_insured=policy.sum_insured, on=policy.start_date)
        assert result.premium == policy.premium


def test_every_row_passes_the_models_checks(today):
    for model in (Policy, InsuredObject, ObjectOwnership, Installment, Payment, PaymentInstrument, Allocation,
                  Form, CommissionReceipt, CommissionAllocation):
        rows = list(model.objects.order_by("?")[:40])
        assert rows, model
        for row in rows:
            row.full_clean()


def test_policies_follow_the_services_rules(today):
    policies = Policy.objects.select_related("product", "insurer", "client").prefetch_related(
        "objects_insured", "insured_persons")
    numbers = Counter()
    for policy in policies:
        assert policy.currency in CURRENCIES[policy.client.preferred_language], policy
        assert policy.product.insurer_id == policy.insurer_id and policy.product.line_id == policy.line_id
        assert policy.commission_rate == policy.product.commission_rate
        assert policy.commission_amount == commission_amount(policy.premium, policy.commission_rate)
        missing = missing_policy_fields(policy, has_objects=bool(policy.objects_insured.all()),
                                        has_persons=bool(policy.insured_persons.all()))
        assert (policy.missing_fields, policy.is_incomplete) == (missing, bool(missing)), policy
        assert policy.start_date <= policy.end_date
        if policy.state == PolicyState.DRAFT:
            assert policy.issue_date is None and not policy.installments.exists()
            continue
        assert policy.issue_date is not None and policy.issue_date <= min(today, policy.end_date)
        if not policy.insurer.is_competitor:
            assert policy.premium > 0
        if policy.number:
            numbers[(policy.insurer_id, policy.series, policy.number)] += 1
        if policy.state == PolicyState.CANCELLED:
            assert policy.cancel_reason in CancelReason.values
            assert policy.start_date <= policy.cancelled_on <= min(policy.end_date, today)
        for obj in policy.objects_insured.all():
            assert obj.owner_id == policy.client_id
    assert numbers and max(numbers.values()) == 1
    # A competitor's policy is recorded, not sold: no commission, no money.
    competitor = Policy.objects.filter(insurer__is_competitor=True)
    assert competitor.exists()
    assert not competitor.filter(commission_amount__gt=0).exists()
    assert not Installment.objects.filter(policy__insurer__is_competitor=True).exists()


def test_insured_objects_are_valid(today, book):
    vehicles = InsuredObject.objects.filter(kind=ObjectKind.VEHICLE)
    assert vehicles.count() > 30 and InsuredObject.objects.filter(kind=ObjectKind.REAL_ESTATE).exists()
    vins = list(vehicles.values_list("vin", flat=True))
    assert len(set(vins)) == len(vins)
    for obj in InsuredObject.objects.all():
        assert _validate_object(book.admin, obj) == {}, obj
        if obj.kind == ObjectKind.VEHICLE:
            assert vin_error(obj.vin) is None and normalize_vin(obj.vin) == obj.vin
            assert obj.plate and normalize_plate(obj.plate) == obj.plate
            assert obj.year <= today.year
    current = Counter(ObjectOwnership.objects.filter(until__isnull=True).values_list("object_id", flat=True))
    assert set(current) == set(InsuredObject.objects.values_list("pk", flat=True))
    assert not ObjectOwnership.objects.exclude(owner=F("object__owner")).exists()
    assert not ObjectOwnership.objects.filter(since__gt=today).exists()


def test_installment_plans_are_equal_parts_of_the_premium(today):
    plans = defaultdict(list)
    for installment in Installment.objects.order_by("number"):
        plans[installment.policy_id].append(installment)
    assert {len(plan) for plan in plans.values()} == {1, 2, 4}
    for policy in Policy.objects.filter(pk__in=plans):
        plan = plans[policy.pk]
        assert [i.number for i in plan] == list(range(1, len(plan) + 1))
        assert [(i.due_date, i.amount) for i in plan] == equal_parts(policy, len(plan))
    # Every issued policy of the agency has its plan.
    assert not Policy.objects.exclude(state=PolicyState.DRAFT).filter(
        insurer__is_competitor=False, installments__isnull=True).exists()


def test_payments_are_allocated_oldest_first(today):
    payments = list(Payment.objects.select_related("policy", "instrument").prefetch_related("allocations"))
    assert payments
    events = defaultdict(list)
    for payment in payments:
        allocations = {a.installment_id: a.amount for a in payment.allocations.all()}
        assert sum(allocations.values()) == payment.amount  # nothing unallocated: no overpayments
        policy = payment.policy
        assert (payment.client_id, payment.currency) == (policy.client_id, policy.currency)
        assert policy.issue_date <= payment.received_on <= today
        if policy.state == PolicyState.CANCELLED:
            assert payment.received_on <= policy.cancelled_on
        if payment.method in INSTRUMENT_METHODS:
            instrument = payment.instrument
            assert (instrument.kind, instrument.amount, instrument.client_id) == (payment.method, payment.amount,
                                                                                  payment.client_id)
            assert payment.is_reversed == (instrument.status == InstrumentStatus.BOUNCED)
            if payment.is_reversed:
                assert payment.reversed_on == instrument.bounced_on <= today
        else:
            assert payment.instrument is None and not payment.is_reversed
        events[policy.pk].append((payment.received_on, 1, payment.pk, allocations))
        if payment.is_reversed:
            events[policy.pk].append((payment.reversed_on, 0, payment.pk, allocations))
    # Replay each policy's payments and reversals in time: every payment took the oldest open amounts,
    # as payment_record allocates.
    for policy_id, timeline in events.items():
        installments = list(Installment.objects.filter(policy_id=policy_id).order_by("due_date", "number"))
        paid = dict.fromkeys((i.pk for i in installments), Decimal("0"))
        for _day, kind, _pk, allocations in sorted(timeline):
            sign = 1 if kind else -1
            if kind:
                expected, remaining = {}, sum(allocations.values())
                for installment in installments:
                    open_amount = installment.amount - paid[installment.pk]
                    if remaining > 0 and open_amount >= HALF_CENT:
                        expected[installment.pk] = min(open_amount, remaining)
                        remaining -= expected[installment.pk]
                assert expected == allocations, policy_id
            for installment_id, amount in allocations.items():
                paid[installment_id] += sign * amount
        for installment in installments:
            assert 0 <= paid[installment.pk] <= installment.amount


def test_money_has_every_case_to_show(today):
    overdue = Installment.objects.overdue(today)
    assert overdue.exists()
    assert not overdue.filter(policy__state=PolicyState.CANCELLED).exists()
    states = Counter(Installment.objects.with_payment_state(today).values_list("payment_state", flat=True))
    assert set(states) == set(InstallmentState.values)
    instruments = Counter(PaymentInstrument.objects.values_list("kind", "status"))
    assert instruments[("check", InstrumentStatus.BOUNCED)] >= 1
    assert instruments[("check", InstrumentStatus.CLEARED)] > instruments[("check", InstrumentStatus.BOUNCED)]
    assert sum(n for (kind, _status), n in instruments.items() if kind == "promissory_note") >= 1
    assert Payment.objects.filter(is_reversed=True).exists()
    assert Allocation.objects.values("payment").annotate(n=Count("pk")).filter(n__gt=1).exists()
    assert Policy.objects.filter(cancel_reason=CancelReason.NON_PAYMENT).exists()


def test_strict_reporting_forms_are_used_by_policies(today, book):
    used = Form.objects.filter(status=FormStatus.USED).select_related("policy", "form_type", "batch")
    assert used.exists()
    for form in used:
        policy = form.policy
        assert (policy.series, policy.number) == (form.series, form.display_number)
        assert form.holder_id == policy.manager_id and form.form_type.insurer_id == policy.insurer_id
        assert form.batch.received_on <= form.used_on == policy.issue_date <= today
    statuses = Counter(Form.objects.values_list("status", flat=True))
    assert statuses[FormStatus.ISSUED] and statuses[FormStatus.IN_STOCK] and statuses[FormStatus.SPOILED]
    assert FormMovement.objects.filter(kind=MovementKind.USED).count() == statuses[FormStatus.USED]
    assert set(Form.objects.exclude(holder=None).values_list("holder__username", flat=True)) == {"agent1", "agent2"}
    first = FormMovement.objects.order_by("happened_on").first().happened_on
    assert movement_report(book.admin, first, today).balanced
    assert all(batch.unaccounted == 0 for batch in batch_accounting(book.admin))


def test_commission_statements_pay_the_policies_of_their_insurer(today, book):
    receipts = CommissionReceipt.objects.prefetch_related("allocations__policy")
    assert receipts.exists()
    for receipt in receipts:
        allocated = sum((a.amount for a in receipt.allocations.all()), Decimal("0"))
        assert 0 < allocated <= receipt.amount
        assert receipt.period_end < receipt.received_on <= today
        for allocation in receipt.allocations.all():
            assert allocation.policy.insurer_id == receipt.insurer_id
            assert allocation.policy.currency == receipt.currency
            assert allocation.amount <= allocation.policy.commission_amount
    reconciliation = commission_reconciliation(book.admin, today - datetime.timedelta(days=120), today)
    assert any(row.received for row in reconciliation.insurers)


def test_agent1_sees_their_own_book(today):
    agent = User.objects.get(username="agent1")
    mine = Policy.objects.visible_to(agent)
    assert mine.exists()
    assert set(mine.values_list("manager__username", flat=True)) == {"agent1"}
    assert mine.count() == Policy.objects.filter(client__curator=agent).count()
    assert Installment.objects.visible_to(agent).exists()
    browser = BrowserClient()
    browser.force_login(agent)
    policy = mine.exclude(number="").filter(state=PolicyState.ISSUED).order_by("-start_date").first()
    page = browser.get("/insurance/policies/", {"q": policy.number})
    assert page.status_code == 200 and policy.number in page.content.decode()
    assert browser.get(policy.get_absolute_url()).status_code == 200
    foreign = Policy.objects.exclude(client__curator=agent).first()
    assert browser.get(foreign.get_absolute_url()).status_code == 404
    assert browser.get("/billing/overdue/").status_code == 200
    assert browser.get("/reports/renewals/").status_code == 200


def test_an_expiring_demo_policy_can_be_renewed_by_its_agent(today):
    policy = (Policy.objects.with_status(today).filter(current_status=PolicyStatus.ACTIVE, renewals__isnull=True,
                                                        insurer__is_competitor=False)
              .order_by("end_date").first())
    renewal = policy_renew(actor=policy.manager, policy=policy)
    assert renewal.renews_id == policy.pk and renewal.state == PolicyState.DRAFT


@pytest.mark.django_db
def test_policy_scale_gives_each_policyholder_more_policies():
    generate_demo(1000, seed=11)
    plain = Policy.objects.count()
    generate_demo(1000, seed=11, policy_scale=2.0)  # the next 1,000 clients, each with twice the risks
    doubled = Policy.objects.count() - plain
    assert 1.5 < doubled / plain < 2.5, (plain, doubled)


def test_stored_report_fields_follow_the_rule(today):
    from django.db.models import Exists, OuterRef

    renewed = Policy.objects.filter(renews=OuterRef("pk"), state="issued")
    rows = Policy.objects.annotate(has=Exists(renewed)).values_list(
        "agent_id", "manager_id", "client__curator_id", "is_renewed", "has")
    assert all(agent == (manager or curator) and stored == has for agent, manager, curator, stored, has in rows)
    assert any(stored for *_rest, stored, _has in rows)


def test_claims_follow_their_policies_and_their_own_rules(today):
    from policydesk.claims.checklists import checklist_for
    from policydesk.claims.choices import ClaimStatus
    from policydesk.claims.models import Claim, ClaimPayout

    claims = list(Claim.objects.select_related("policy__line", "policy__insurer"))
    assert len(claims) >= 10
    statuses = Counter(c.status for c in claims)
    assert {ClaimStatus.CLOSED, ClaimStatus.PAID, ClaimStatus.COLLECTING_DOCUMENTS} <= set(statuses) or \
        len(set(statuses)) >= 4, statuses
    paid = defaultdict(Decimal)
    for payout in ClaimPayout.objects.all():
        paid[payout.claim_id] += payout.amount
        assert payout.paid_on <= today
    for claim in claims:
        policy = claim.policy
        assert not policy.insurer.is_competitor and policy.state != "draft"
        assert policy.start_date <= claim.event_date <= min(policy.end_date, policy.cancelled_on or policy.end_date)
        assert claim.event_date <= claim.reported_on <= today
        assert claim.client_id == policy.client_id and claim.currency == policy.currency
        assert claim.paid_amount == paid[claim.pk]
        if claim.status == ClaimStatus.PAID:
            assert claim.paid_amount == claim.approved_amount
        if policy.sum_insured:
            assert claim.claimed_amount <= policy.sum_insured
        names = list(claim.documents.values_list("name", flat=True))
        assert names == checklist_for(policy.line)
        missing = claim.documents.filter(received_on__isnull=True).count()
        if claim.status not in (ClaimStatus.REPORTED, ClaimStatus.COLLECTING_DOCUMENTS):
            assert missing == 0
        assert claim.steps.filter(kind="opened").count() == 1


def test_claims_give_loss_ratios_and_requests_are_one_per_twenty_clients(book, today):
    from policydesk.claims.choices import LossGroup
    from policydesk.claims.selectors import loss_figures
    from policydesk.service.models import ServiceRequest

    figures = loss_figures(book.admin, group=LossGroup.AGENT, date_from=today - datetime.timedelta(days=730),
                           date_to=today)
    assert any(f.paid > 0 and f.ratio_paid is not None and f.ratio_paid > 0 for f in figures)
    assert ServiceRequest.objects.count() == N // 20


def test_the_claims_handler_works_the_demo_claims(book, db):
    browser = BrowserClient()
    browser.force_login(User.objects.get(username="claims"))
    html = browser.get("/claims/").content.decode()
    from policydesk.claims.models import Claim

    newest = Claim.objects.order_by("-reported_on", "-pk").first()
    assert newest.number in html
