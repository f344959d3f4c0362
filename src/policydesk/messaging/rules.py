"""Automatic messages (contact patterns): which occurrences of an event a rule writes to, and the
scheduled scan that queues them, once each.

An occurrence is an object and the day of its event: a policy and its end date, an installment and
its due date, a client and this year's birthday. A rule with an offset of N days is due for the
occurrences whose event day is today − N, once the rule's time of day has come. Each message carries
the key ``rule:<rule>:<kind>:<object>:<event day>``: the scan can run twice, overlap with itself or
stop half-way and run again, and each occurrence is still written to once (a second attempt finds
the key taken). A scan also looks ``CATCH_UP_DAYS`` back, so that occurrences of days the worker was
down still go (late rather than never); older ones are left alone.

Each event is one query on an index of its date (the policies' end dates, the installments' due
dates...), so a scan costs what is due, not the size of the book.
"""

import datetime
import logging
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from .choices import Channel, Event, MessageStatus, SkipReason
from .models import Message, Rule

logger = logging.getLogger(__name__)

CATCH_UP_DAYS = 2
DAY = datetime.timedelta(days=1)

# The events a rule can follow (the general and request-resolved templates are written by hand).
RULE_EVENTS = (Event.POLICY_EXPIRING, Event.POLICY_ISSUED, Event.POLICY_RENEWED, Event.INSTALLMENT_DUE,
               Event.CHECK_DUE, Event.CLAIM_OPENED, Event.CLAIM_PAID, Event.BIRTHDAY, Event.TASK_DUE)


@dataclass
class Occurrence:
    kind: str  # what the object is: "policy", "installment", "instrument", "claim", "payout", "client", "task"
    pk: int
    day: datetime.date  # the event's day
    client: object
    about: dict  # the message's links and the placeholders' records: policy, installment, claim...


def _policy_conditions(rule: Rule, prefix: str = "") -> Q:
    condition = Q()
    lines = [line.pk for line in rule.lines.all()]
    insurers = [insurer.pk for insurer in rule.insurers.all()]
    products = [product.pk for product in rule.products.all()]
    if lines:
        condition &= Q(**{f"{prefix}line_id__in": lines})
    if insurers:
        condition &= Q(**{f"{prefix}insurer_id__in": insurers})
    if products:
        condition &= Q(**{f"{prefix}product_id__in": products})
    if rule.min_premium is not None:
        condition &= Q(**{f"{prefix}premium__gte": rule.min_premium})
    return condition


def _client_conditions(rule: Rule, prefix: str) -> Q:
    tags = [tag.pk for tag in rule.tags.all()]
    condition = Q(**{f"{prefix}archived_at__isnull": True})
    if tags:
        condition &= Q(**{f"{prefix}tags__in": tags})
    return condition


def _days(first: datetime.date, last: datetime.date) -> dict:
    return {"gte": first, "lte": last}


def occurrences(rule: Rule, first: datetime.date, last: datetime.date) -> list[Occurrence]:
    """The occurrences of the rule's event on the days ``first`` to ``last`` that match its conditions."""
    from policydesk.billing.models import Installment, PaymentInstrument
    from policydesk.claims.models import Claim, ClaimPayout
    from policydesk.clients.models import Client
    from policydesk.diary.models import Task
    from policydesk.insurance.choices import PolicyState
    from policydesk.insurance.models import Policy

    event = rule.event
    span = _days(first, last)
    found: list[Occurrence] = []
    policy_related = ("client__curator", "line", "insurer", "product")
    if event in (Event.POLICY_EXPIRING, Event.POLICY_ISSUED, Event.POLICY_RENEWED):
        field = "end_date" if event == Event.POLICY_EXPIRING else "issue_date"
        policies = Policy.objects.filter(state=PolicyState.ISSUED, insurer__is_competitor=False,
                                         **{f"{field}__{k}": v for k, v in span.items()})
        if event == Event.POLICY_EXPIRING:
            policies = policies.filter(is_renewed=False)  # renewed: nothing to invite to
        elif event == Event.POLICY_RENEWED:
            policies = policies.filter(renews__isnull=False)
        policies = policies.filter(_policy_conditions(rule) & _client_conditions(rule, "client__"))
        for policy in policies.select_related(*policy_related).prefetch_related("objects_insured").distinct():
            found.append(Occurrence("policy", policy.pk, getattr(policy, field), policy.client, {"policy": policy}))
    elif event == Event.INSTALLMENT_DUE:
        installments = (Installment.objects.outstanding(last).filter(**{f"due_date__{k}": v for k, v in span.items()})
                        .filter(_policy_conditions(rule, "policy__") & _client_conditions(rule, "policy__client__")))
        for item in installments.select_related(*(f"policy__{r}" for r in policy_related)).distinct():
            found.append(Occurrence("installment", item.pk, item.due_date, item.policy.client,
                                    {"policy": item.policy, "installment": item}))
    elif event == Event.CHECK_DUE:
        instruments = (PaymentInstrument.objects.filter(status="pending", **{f"due_date__{k}": v for k, v in span.items()})
                       .filter(_client_conditions(rule, "client__")))
        policy_condition = _policy_conditions(rule, "payments__policy__")
        if policy_condition:
            instruments = instruments.filter(policy_condition)
        for item in instruments.select_related("client__curator").distinct():
            found.append(Occurrence("instrument", item.pk, item.due_date, item.client, {"instrument": item}))
    elif event == Event.CLAIM_OPENED:
        claims = (Claim.objects.filter(archived_at__isnull=True, **{f"reported_on__{k}": v for k, v in span.items()})
                  .filter(_policy_conditions(rule, "policy__") & _client_conditions(rule, "client__")))
        for claim in claims.select_related("client__curator", *(f"policy__{r}" for r in policy_related[1:])).distinct():
            found.append(Occurrence("claim", claim.pk, claim.reported_on, claim.client,
                                    {"policy": claim.policy, "claim": claim}))
    elif event == Event.CLAIM_PAID:
        payouts = (ClaimPayout.objects.filter(**{f"paid_on__{k}": v for k, v in span.items()})
                   .filter(_policy_conditions(rule, "claim__policy__") & _client_conditions(rule, "claim__client__")))
        for payout in payouts.select_related("claim__client__curator", "claim__policy__line", "claim__policy__insurer",
                                             "claim__policy__product").distinct():
            found.append(Occurrence("payout", payout.pk, payout.paid_on, payout.claim.client,
                                    {"policy": payout.claim.policy, "claim": payout.claim}))
    elif event == Event.BIRTHDAY:
        for day in _each_day(first, last):
            clients = Client.objects.filter(birth_date__in=_birth_dates(day)).filter(_client_conditions(rule, ""))
            policy_condition = _policy_conditions(rule, "policies__")
            if policy_condition:
                clients = clients.filter(policy_condition)
            for client in clients.select_related("curator").distinct():
                found.append(Occurrence("client", client.pk, day, client, {}))
    elif event == Event.TASK_DUE:
        start = timezone.make_aware(datetime.datetime.combine(first, datetime.time.min))
        end = timezone.make_aware(datetime.datetime.combine(last + DAY, datetime.time.min))
        tasks = (Task.objects.filter(status="open", client__isnull=False, due_at__gte=start, due_at__lt=end)
                 .filter(_client_conditions(rule, "client__")))
        for task in tasks.select_related("client__curator").distinct():
            found.append(Occurrence("task", task.pk, timezone.localtime(task.due_at).date(), task.client,
                                    {"task": task}))
    return found


def _each_day(first: datetime.date, last: datetime.date):
    day = first
    while day <= last:
        yield day
        day += DAY


def _birth_dates(day: datetime.date) -> list[datetime.date]:
    """The birth dates whose birthday is ``day``: the same day and month of every year from 1900 (an
    index lookup each, not a scan of the clients); on 28 February of a common year, 29 February too."""
    dates = []
    for year in range(1900, day.year + 1):
        try:
            dates.append(day.replace(year=year))
        except ValueError:
            continue
    if day.month == 2 and day.day == 28 and not _leap(day.year):
        dates += [datetime.date(year, 2, 29) for year in range(1900, day.year + 1) if _leap(year)]
    return dates


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def rule_key(rule: Rule, occurrence: Occurrence) -> str:
    return f"rule:{rule.pk}:{occurrence.kind}:{occurrence.pk}:{occurrence.day.isoformat()}"


def due_window(rule: Rule, now: datetime.datetime) -> tuple[datetime.date, datetime.date] | None:
    """The event days whose messages are due now: today − offset (once the rule's time of day has
    come), and the days before it within the catch-up window."""
    local = timezone.localtime(now)
    target = local.date() - datetime.timedelta(days=rule.offset_days)
    last = target if local.time() >= rule.send_time else target - DAY
    return last - datetime.timedelta(days=CATCH_UP_DAYS), last


WRITE_BATCH = 1000


def run_rule(rule: Rule, *, now: datetime.datetime | None = None) -> dict:
    """Queue the due messages of one rule; returns counts (queued, not sent, already written). The
    messages are written a thousand at a time (the clients' phones, addresses and opt-outs read once
    per batch); a message whose key another run wrote meanwhile is left out by the database."""
    from django.conf import settings
    from django.db import transaction

    from .placeholders import message_context
    from .services import _on_commit_send, bulk_contacts, recipient_for, render_template
    from .smslength import sms_length

    now = now or timezone.now()
    first, last = due_window(rule, now)
    done = {"queued": 0, "skipped": 0, "existing": 0}
    found = occurrences(rule, first, last)
    keys = {rule_key(rule, o): o for o in found}
    taken = set()
    key_list = list(keys)
    for start in range(0, len(key_list), WRITE_BATCH):
        taken |= set(Message.objects.filter(key__in=key_list[start:start + WRITE_BATCH]).values_list("key", flat=True))
    done["existing"] = len(taken)
    waiting = [(key, o) for key, o in keys.items() if key not in taken]
    for start in range(0, len(waiting), WRITE_BATCH):
        chunk = waiting[start:start + WRITE_BATCH]
        opted, contacts = bulk_contacts({o.client.pk for _key, o in chunk}, rule.channel)
        rows = []
        for key, occurrence in chunk:
            client = occurrence.client
            recipient, reason = recipient_for(client, rule.channel, rule.purpose, opted_out=opted.get(client.pk, set()),
                                              contacts=contacts.get(client.pk, []))
            language = client.preferred_language or settings.LANGUAGE_CODE
            subject, body, language = render_template(
                rule.template, language,
                lambda used, c=client, about=occurrence.about: message_context(client=c, language=used, **about))
            if not reason and not body.strip():
                reason = SkipReason.NO_TEXT
            links = {k: v for k, v in occurrence.about.items() if k in ("policy", "claim", "task")}
            rows.append(Message(
                channel=rule.channel, client=client, recipient=recipient, subject=subject[:300], body=body,
                template=rule.template, language=language, purpose=rule.purpose, key=key, rule=rule,
                status=MessageStatus.SKIPPED if reason else MessageStatus.QUEUED, skip_reason=reason,
                next_attempt_at=None if reason else now, created_at=now, updated_at=now,
                parts=sms_length(body).parts if rule.channel == Channel.SMS and body else None, **links))
            done["skipped" if reason else "queued"] += 1
        with transaction.atomic():
            Message.objects.bulk_create(rows, ignore_conflicts=True)
    if done["queued"]:
        _on_commit_send()
    return done


def run_rules(*, now: datetime.datetime | None = None) -> dict:
    """Every active rule, each on its own (one that fails is logged and the others still run)."""
    totals = {"rules": 0, "queued": 0, "skipped": 0, "existing": 0}
    rules = (Rule.objects.filter(is_active=True, archived_at__isnull=True, template__archived_at__isnull=True)
             .select_related("template").prefetch_related("lines", "insurers", "products", "tags"))
    for rule in rules:
        try:
            done = run_rule(rule, now=now)
        except Exception:  # noqa: BLE001 (one broken rule must not stop the others)
            logger.exception("Automatic message %s failed", rule.pk)
            continue
        totals["rules"] += 1
        for key, value in done.items():
            totals[key] += value
    return totals

