"""Reads of the telephony: who was called (by extension), who is calling (by number), the call
that is ringing for a user, and what the incoming-call card shows.

The caller is identified without the scope (one hand-written statement on the phone index, as the
quick search's exact phone lookup): the call is recorded with the client it came from, and the
card decides at every showing what the user it rang for may see of that client.
"""

import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Exists, OuterRef
from django.utils import timezone

from policydesk.clients.models import Client, Phone
from policydesk.core.indicators import card_indicators
from policydesk.core.text import normalize_phone, phone_candidates
from policydesk.core.visibility import scope_curator_ids

from .choices import CallState, InteractionKind, TaskStatus
from .models import Call, Interaction, Task

ACTIVE_STATES = (CallState.RINGING.value, CallState.ANSWERED.value)

# What the card shows of the client card's figures: these always (zero included), every other
# registered figure when it has a value (claims, requests... as their apps register them), except
# the ones that say nothing to someone on the phone with the client.
CARD_INDICATORS_ALWAYS = ("active_policies", "total_premium", "overdue", "bounced_checks")
# Left out of the call card: the long view, and what the card lists itself (its open tasks).
CARD_INDICATORS_HIDDEN = frozenset({"yearly_premium", "commission", "tenure", "lines_held", "loss_ratio",
                                    "claims_paid", "last_contact", "open_tasks"})
CARD_POLICIES = 3
CARD_CONTACTS = 5
CARD_TASKS = 5
CARD_CONTACT_KINDS = (InteractionKind.MEETING.value, InteractionKind.NOTE.value, InteractionKind.CALL.value)


# -- who was called -------------------------------------------------------------------------------

def _extension_keys(called: str) -> list[str]:
    """What ``called`` may be stored as in a user's extension: as given, its digits, its E.164."""
    called = (called or "").strip()
    if not called:
        return []
    keys = [called]
    digits = re.sub(r"\D", "", called)
    if digits:
        keys.append(digits)
    try:
        keys.append(normalize_phone(called))
    except ValueError:
        pass
    return list(dict.fromkeys(keys))


def extension_user(called: str):
    """The active user whose phone extension is ``called`` (an extension, or a direct number
    stored as one); None when nobody's is. Two users sharing an extension: the first registered."""
    keys = _extension_keys(called)
    if not keys:
        return None
    return (get_user_model().objects.filter(is_active=True, phone_extension__in=keys).exclude(phone_extension="")
            .order_by("pk").first())


# -- who is calling -------------------------------------------------------------------------------

@dataclass(frozen=True)
class CallerMatch:
    number: str  # E.164 when the caller's number could be read, else ""
    client_id: int | None = None
    curator_id: int | None = None


def caller_number(raw: str) -> str:
    """The caller's number in E.164 when it reads as a valid one: with its country code, else in the
    agency's region, else in another configured region; "" when it does not (withheld, "anonymous")."""
    regions = dict.fromkeys([settings.PHONE_REGION, *settings.PHONE_REGIONS])
    for region in regions:
        try:
            return normalize_phone(raw, region)
        except ValueError:
            continue
    return ""


def identify_caller(raw: str, user=None) -> CallerMatch:
    """The client whose phone is the number the telephone system gave (any format), in one
    statement, whatever the scope. Several clients sharing the number: one ``user`` may see first,
    then the reading of the number in the agency's own region, a primary phone, the oldest client."""
    candidates = phone_candidates(raw)
    if not candidates:
        return CallerMatch(caller_number(raw))
    sql = (f"SELECT c.id, c.curator_id, m.number, m.is_primary FROM {Phone._meta.db_table} m"
           f" CROSS JOIN {Client._meta.db_table} c"
           f" WHERE m.number IN ({', '.join(['%s'] * len(candidates))}) AND c.id = m.client_id"
           " AND c.archived_at IS NULL LIMIT 20")
    # CROSS JOIN: SQLite starts from the phone index (as clients/selectors.client_suggestions).
    with connection.cursor() as cursor:
        cursor.execute(sql, candidates)
        rows = cursor.fetchall()
    if not rows:
        return CallerMatch(caller_number(raw))
    scope = scope_curator_ids(user) if user is not None else set()
    order = {number: index for index, number in enumerate(candidates)}

    def rank(row):
        pk, curator_id, number, primary = row
        visible = scope is None or curator_id in scope
        return (not visible, order.get(number, len(order)), not primary, pk)

    pk, curator_id, number, _primary = min(rows, key=rank)
    return CallerMatch(number, pk, curator_id)


def client_visible(user, client) -> bool:
    """The decision of ``Client.objects.visible_to(user)`` for one client, without a query."""
    if client is None:
        return False
    scope = scope_curator_ids(user)
    return scope is None or client.curator_id in scope


# -- the card -------------------------------------------------------------------------------------

def active_call(user) -> Call | None:
    """The newest call ringing or answered at ``user``'s extension that they have not closed, with
    its client: what the card's poll asks every second, one query on the (user, state) index (and
    the same query gives the card its call when one starts ringing)."""
    return (Call.objects.filter(user=user, state__in=ACTIVE_STATES, dismissed_at__isnull=True)
            .select_related("client", "user").order_by("-created_at").first())


def card_indicators_for_call(request, client) -> list:
    shown = []
    for indicator in card_indicators("clients.client", request, client, skip=CARD_INDICATORS_HIDDEN):
        if indicator.key in CARD_INDICATORS_ALWAYS:
            shown.append(indicator)
        elif indicator.key not in CARD_INDICATORS_HIDDEN and not indicator.is_empty:
            shown.append(indicator)
    return shown


def call_card_context(request, call: Call) -> dict:
    """What the incoming-call card shows to ``request.user``: the client's figures, active
    policies, latest contacts and open tasks when they may see the client; "a client of another
    agent" when the number is someone's they may not see; "new caller" when it is nobody's."""
    from policydesk.insurance.choices import PolicyState
    from policydesk.insurance.models import Policy

    user = request.user
    client = call.client if call.client_id and call.client.archived_at is None else None
    if call.client_id is None and call.number:
        # A new caller registered since the call started ringing (from this card): show the client.
        found = identify_caller(call.number, user).client_id
        client = Client.objects.filter(pk=found).first() if found else None
    context = {"call": call, "client": None, "caller": "new", "is_mine": call.user_id == user.pk}
    if client is None:
        return context
    if not client_visible(user, client):
        context["caller"] = "other"
        return context
    today = timezone.localdate()
    # Every policy, contact and task of a client the user may see is theirs to see (these models'
    # visibility follows the client's curator; their owners only widen it): no scope filter here,
    # which would cost a third of these queries. Only the columns the card shows are read.
    renewed = Policy.objects.filter(renews=OuterRef("pk"), state=PolicyState.ISSUED)
    context.update({
        "caller": "client",
        "client": client,
        "indicators": card_indicators_for_call(request, client),
        # Active as the policy list says it (with_status: active or incomplete): issued, not
        # expired, not renewed.
        "policies": list(Policy.objects.filter(client=client, state=PolicyState.ISSUED, end_date__gte=today)
                         .exclude(Exists(renewed)).select_related("insurer", "line")
                         .only("pk", "series", "number", "end_date", "insurer__name", "insurer__short_name",
                               "line__names")
                         .order_by("end_date", "pk")[:CARD_POLICIES]),
        "contacts": list(Interaction.objects.filter(client=client, archived_at__isnull=True,
                                                    kind__in=CARD_CONTACT_KINDS)
                         .only("pk", "kind", "subject", "outcome", "happened_at")
                         .order_by("-happened_at", "-pk")[:CARD_CONTACTS]),
        "tasks": list(Task.objects.filter(client=client, status=TaskStatus.OPEN)
                      .only("pk", "title", "due_at", "status").order_by("due_at", "pk")[:CARD_TASKS]),
        "today": today,
    })
    return context
