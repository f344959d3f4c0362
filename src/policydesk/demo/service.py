"""Demo service requests and knowledge-base articles (issue 5), written in bulk.

``record_requests(seed=, today=, count=)`` adds ``count`` requests (default: one per 20 clients)
about existing clients, each with its workflow's steps: most resolved or closed (many rated), some
being handled, and a few percent past their deadline (half of those already escalated), as of noon
on ``today``. Rows are written per block of clients with one ``executemany`` (SQLite) or ``COPY``
(PostgreSQL) per table, so memory stays flat; the same seed on the same database gives the same
requests. The SLA rules, complaint causes and the articles in the five languages are created once.
"""

import datetime
import random

from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.utils import timezone

from policydesk.accounts.models import User
from policydesk.clients.models import Client
from policydesk.service import sla
from policydesk.service.models import (
    Article,
    ArticleCategory,
    ComplaintCategory,
    RequestStep,
    ServiceRequest,
    SlaRule,
)
from policydesk.service.services import DEFAULT_SLA, working_calendar
from policydesk.service.services_articles import article_create

from .bulk import Table, Writer, next_id, reset_sequences

BLOCK = 5000
KINDS = [("inquiry", 35), ("request", 30), ("complaint", 25), ("letter", 10)]
CHANNELS = {"inquiry": ["phone", "phone", "email", "web", "visit"], "request": ["phone", "email", "web", "visit"],
            "complaint": ["phone", "email", "letter", "web", "visit"], "letter": ["letter"]}
PRIORITIES = [("low", 15), ("normal", 60), ("high", 20), ("urgent", 5)]
CAUSES = ["Slow claim payout", "Claim refused", "Rude or unhelpful staff", "Wrong premium or charge",
          "Policy delivered late", "Renewal not offered", "Broker did not call back"]
SUBJECTS = {
    "inquiry": ["Which documents for a claim?", "How to add a driver?", "When does my policy end?",
                "Is hail covered?", "Travel cover for Schengen"],
    "request": ["Send a copy of the policy", "Change the address", "Add a second driver", "Split the premium",
                "Certificate for the bank"],
    "complaint": ["Payout is late", "Claim refused without reason", "Operator was rude", "Charged twice",
                  "Nobody called back"],
    "letter": ["Letter from the client's lawyer", "Written claim for a refund", "Letter about the accident",
               "Request for documents by post"],
}
RESOLUTIONS = ["Explained by phone", "Documents sent by email", "Payout made", "Premium refunded",
               "Apologised; the manager called back", "Policy re-issued"]
REQUEST_COLUMNS = ("id", "created_at", "updated_at", "archived_at", "kind", "channel", "client_id", "subject", "text",
                   "priority", "status", "received_at", "registered_by_id", "assignee_id", "department_id",
                   "response_due_at", "resolution_due_at", "due_at", "responded_at", "category_id", "resolution",
                   "resolved_at", "closed_at", "escalated_at", "escalated_to_id", "satisfaction",
                   "satisfaction_comment", "rated_at")
STEP_COLUMNS = ("request_id", "kind", "at", "actor_id", "from_user_id", "to_user_id", "note")

ARTICLES = {
    "en": [("How long does a claim payout take?", "Usually ten working days after all documents are in."),
           ("How do I add a driver to my motor policy?", "Send us the driver's licence; we issue an endorsement."),
           ("What does own-damage cover include?", "Accident, theft, fire, hail and vandalism, less the excess.")],
    "ru": [("Сколько ждать выплату по ОСАГО?", "Обычно двадцать дней после подачи всех документов."),
           ("Как вписать водителя в полис?", "Пришлите права водителя, мы оформим изменения в полис."),
           ("Что покрывает КАСКО?", "Ущерб, угон, пожар, град и вандализм за вычетом франшизы.")],
    "fa": [("پرداخت خسارت بیمه ثالث چقدر طول می‌کشد؟", "معمولا ده روز کاری پس از تحویل همه مدارک."),
           ("چگونه راننده را به بیمه‌نامه اضافه کنم؟", "گواهینامه راننده را بفرستید تا الحاقیه صادر شود."),
           ("بیمه بدنه چه خسارت‌هایی را پوشش می‌دهد؟", "تصادف، سرقت، آتش‌سوزی و بلایای طبیعی با کسر فرانشیز.")],
    "az": [("Sığorta ödənişi nə qədər çəkir?", "Adətən bütün sənədlərdən sonra on iş günü."),
           ("Sürücünü polisə necə əlavə edim?", "Sürücülük vəsiqəsini göndərin, əlavə rəsmiləşdirək."),
           ("KASKO nəyi əhatə edir?", "Qəza, oğurluq, yanğın və dolu, françiza çıxılmaqla.")],
    "zh-hans": [("理赔款多久到账？", "一般在提交全部材料后十个工作日内到账。"),
                ("如何在车险保单上增加驾驶人？", "请提供驾驶证，我们出具批单。"),
                ("车损险保障哪些损失？", "碰撞、盗抢、火灾和冰雹等，扣除免赔额。")],
}


def _weighted(rng, pairs):
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _ensure_settings() -> list[int]:
    for kind, _weight in KINDS:
        for priority, (hours, days) in DEFAULT_SLA.items():
            SlaRule.objects.get_or_create(kind=kind, priority=priority,
                                          defaults={"response_hours": hours, "resolution_days": days})
    return [ComplaintCategory.objects.get_or_create(name=name)[0].pk for name in CAUSES]


def _ensure_articles() -> int:
    if Article.objects.exists():
        return 0
    author = User.objects.filter(is_superuser=True).order_by("pk").first() or AnonymousUser()
    category = ArticleCategory.objects.get_or_create(name="Claims and cover")[0]
    made = 0
    for language, entries in ARTICLES.items():
        for title, body in entries:
            article_create(actor=author, title=title, body=body, language=language, kind="faq", category=category)
            made += 1
    return made


def record_requests(*, seed: int, today: datetime.date, count: int | None = None, clients_from: int = 1) -> int:
    """Add demo service requests with their steps about the clients from id ``clients_from`` on;
    returns how many were written."""
    clients = Client.objects.filter(archived_at__isnull=True, pk__gte=clients_from)
    total = clients.count()
    if count is None:
        count = total // 20
    _ensure_articles()
    if not total or count <= 0:
        return 0
    causes = _ensure_settings()
    staff = list(User.objects.filter(is_active=True, is_superuser=False).order_by("pk")
                 .values_list("pk", "department_id", "head_id"))
    if not staff:
        return 0
    terms = {(r.kind, r.priority): (r.response_hours, r.resolution_days) for r in SlaRule.objects.all()}
    calendar = working_calendar(today)
    now_naive = datetime.datetime.combine(today, datetime.time(12))
    adapt = connection.ops.adapt_datetimefield_value

    def aware(value):
        return adapt(timezone.make_aware(value)) if value is not None else None

    rng = random.Random(seed)
    writer = Writer()
    requests_table, steps_table = Table(ServiceRequest, REQUEST_COLUMNS), Table(RequestStep, STEP_COLUMNS)
    pk = next_id(ServiceRequest)
    written, seen, last = 0, 0, 0
    while written < count:
        block = list(clients.filter(pk__gt=last).order_by("pk").values_list("pk", "curator_id")[:BLOCK])
        if not block:
            break
        last = block[-1][0]
        seen += len(block)
        wanted = min(count, round(count * seen / total)) - written if seen < total else count - written
        rows, steps = [], []
        for _index in range(max(wanted, 0)):
            client_id, curator_id = rng.choice(block)
            rows.append(_request(rng, pk, client_id, curator_id, staff, terms, calendar, now_naive, causes, aware,
                                 steps))
            pk += 1
        with transaction.atomic():
            writer.write(requests_table, rows)
            writer.write(steps_table, steps)
        written += len(rows)
    reset_sequences([ServiceRequest, RequestStep])
    return written


def _request(rng, pk, client_id, curator_id, staff, terms, calendar, now, causes, aware, steps) -> tuple:
    kind = _weighted(rng, KINDS)
    priority = _weighted(rng, PRIORITIES)
    hours, days = terms.get((kind, priority), DEFAULT_SLA[priority])
    registrar = rng.choice(staff)[0]
    assignee, department, head = next((s for s in staff if s[0] == curator_id), None) or rng.choice(staff)
    roll = rng.random()
    if roll < 0.04:  # past its deadline, still open
        state = "overdue"
        received = now - datetime.timedelta(days=rng.uniform(5, 60))
    elif roll < 0.10:  # being handled, on time
        state = "open"
        received = now - datetime.timedelta(hours=rng.uniform(0, 2))
    else:
        state = "done"
        received = now - datetime.timedelta(days=rng.uniform(1, 365))
    received = received.replace(microsecond=0)
    response_due = sla.add_working_hours(calendar, received, hours * 60)
    resolution_due = max(sla.add_working_days(calendar, received, days), response_due)
    verified = min(received + datetime.timedelta(hours=rng.uniform(0.2, hours)), now)
    status, due, resolved, closed, rating, rated, resolution, escalated, escalated_to = (
        "verified", resolution_due, None, None, None, None, "", None, None)
    category = rng.choice(causes) if kind == "complaint" else None
    subject = rng.choice(SUBJECTS[kind])
    step_rows = [(pk, "registered", aware(received), registrar, None, assignee, "")]
    if state == "overdue" and rng.random() < 0.5:
        status, due, verified = "registered", response_due, None
    else:
        step_rows.append((pk, "verified", aware(verified), assignee, None, None, ""))
        step_rows.append((pk, "assigned", aware(verified), assignee, None, assignee, ""))
        status = "assigned"
        if state == "done" or rng.random() < 0.5:
            step_rows.append((pk, "started", aware(verified), assignee, None, None, ""))
            status = "in_progress"
    if state == "overdue" and rng.random() < 0.5:
        escalated = min(due + datetime.timedelta(minutes=5), now)
        escalated_to = head
        step_rows.append((pk, "escalated", aware(escalated), None, assignee, head, "deadline passed"))
    if state == "done":
        resolved = min(verified + datetime.timedelta(days=rng.uniform(0, days + 2)), now)
        resolution = rng.choice(RESOLUTIONS)
        status, due = "resolved", None
        step_rows.append((pk, "resolved", aware(resolved), assignee, None, None, resolution))
        if rng.random() < 0.7:
            closed = min(resolved + datetime.timedelta(days=rng.uniform(0, 3)), now)
            status = "closed"
            step_rows.append((pk, "closed", aware(closed), assignee, None, None, ""))
        if rng.random() < 0.6:
            rating = rng.choices([1, 2, 3, 4, 5], weights=[5, 7, 13, 35, 40])[0]
            rated = closed or resolved
            step_rows.append((pk, "rated", aware(rated), assignee, None, None, f"{rating}/5"))
    steps.extend(step_rows)
    stamp = aware(received)
    return (pk, stamp, stamp, None, kind, rng.choice(CHANNELS[kind]), client_id, subject,
            f"{subject}. (demo)", priority, status, stamp, registrar, assignee, department, aware(response_due),
            aware(resolution_due), aware(due), aware(verified), category, resolution, aware(resolved),
            aware(closed), aware(escalated), escalated_to, rating, "", aware(rated))
