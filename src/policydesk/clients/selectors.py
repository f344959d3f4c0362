"""Reads about clients that are more than a filter: quick search, duplicates, relationships."""

import datetime
import difflib
from dataclasses import dataclass

from django.db import connection
from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse
from django.utils.translation import gettext as _

from policydesk.core.indicators import Indicator
from policydesk.core.taxid import normalize_tax_id
from policydesk.core.text import fold, looks_like_phone, name_tokens, phone_candidates, search_words
from policydesk.core.visibility import scope_sql

from .choices import INVERSE_RELATIONSHIP, ClientKind, GroupKind, RelationshipKind
from .models import Client, ClientGroup, ClientSearchToken, Email, Phone, Relationship


def _token_prefix_q(word: str) -> Q:
    # A range on the index, not LIKE: the same plan on SQLite and PostgreSQL, whatever the collation.
    return Q(token__gte=word, token__lt=word + "\U0010ffff")


def _prefix_range(field: str, prefix: str) -> Q:
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + "\U0010ffff"})


def client_search_ids(query: str):
    """A values queryset of the ids of clients matching the quick-search text, not yet limited by
    scope; None when the text cannot match anything.

    The text is one of: an email (or its beginning), a phone in any format, a tax id, or words that
    each start a word of the name. Exact lookups are combined with UNION, never OR: an OR of IN
    subqueries defeats PostgreSQL's indexes (see docs/performance.md).
    """
    query = (query or "").strip()
    if not query:
        return None
    parts = []
    compact = normalize_tax_id(query)
    if "@" in query:
        parts.append(Email.objects.filter(_prefix_range("address", query.lower())).values("client_id"))
    elif not any(ch.isalpha() for ch in query):
        if looks_like_phone(query):
            numbers = phone_candidates(query)
            if numbers:
                parts.append(Phone.objects.filter(number__in=numbers).values("client_id"))
        if compact.isdigit() and 8 <= len(compact) <= 20:
            parts.append(Client.objects.filter(tax_id=compact).values("pk"))
    else:
        words = search_words(query)
        if words:
            names = Client.objects.all()
            for word in words:
                names = names.filter(pk__in=ClientSearchToken.objects.filter(_token_prefix_q(word)).values("client_id"))
            parts.append(names.values("pk"))
        if compact.isalnum() and 8 <= len(compact) <= 20 and any(ch.isdigit() for ch in compact):
            # Tax ids with letters (a Chinese unified social credit code).
            parts.append(Client.objects.filter(tax_id=compact).values("pk"))
    if not parts:
        return None
    parts = [part.order_by() for part in parts]  # no ORDER BY inside a compound statement
    return parts[0] if len(parts) == 1 else parts[0].union(*parts[1:])


def client_search(queryset, query: str):
    """Filter ``queryset`` (already scoped to the user) by the quick-search text."""
    ids = client_search_ids(query)
    if ids is None:
        return queryset.none() if (query or "").strip() else queryset
    return queryset.filter(pk__in=ids)


@dataclass(frozen=True)
class ClientSuggestion:
    """One line of the search drop-down: what it shows, without a model instance."""

    pk: int
    display_name: str
    is_blacklisted: bool
    phone: str  # the first phone in E.164 ("" when none)

    def get_absolute_url(self) -> str:
        return reverse("clients:client", args=[self.pk])


def _exact_matches(query: str) -> list[tuple[str, list]] | None:
    """What an email (or its beginning), a phone or a tax id matches, as (kind, parameters); None
    when the text is none of those (a name), [] when it can match nothing."""
    if "@" in query:
        prefix = query.lower()
        return [("email", [prefix, prefix + "\U0010ffff"])]
    if any(ch.isalpha() for ch in query):
        return None
    parts = []
    if looks_like_phone(query):
        numbers = phone_candidates(query)
        if numbers:
            parts.append(("phone", numbers))
    compact = normalize_tax_id(query)
    if compact.isdigit() and 8 <= len(compact) <= 20:
        parts.append(("tax_id", [compact]))
    return parts


def client_suggestions(user, query: str, *, kind: str | None = None, limit: int = 10) -> list[ClientSuggestion]:
    """The search drop-down's clients for the typed text, in the user's scope, first ``limit`` by name.

    An email, a phone or a tax id, the lookups typed most and expected at once, is one
    hand-written statement (the scope from ``scope_sql``, the same decision as ``visible_to``):
    building and compiling the ORM query and model instances cost ten times the indexed lookup
    itself (docs/performance.md). A phone match shows the number that matched. Names go through
    ``client_search``.
    """
    query = (query or "").strip()
    if not query:
        return []
    exact = _exact_matches(query)
    if exact is None:
        queryset = client_search(Client.objects.visible_to(user).filter(archived_at__isnull=True), query)
        if kind:
            queryset = queryset.filter(kind=kind)
        rows = (queryset.order_by("display_name", "pk")
                .annotate(first_phone=Subquery(Phone.objects.filter(client=OuterRef("pk")).values("number")[:1]))
                .values_list("pk", "display_name", "is_blacklisted", "first_phone")[:limit])
        return [ClientSuggestion(pk, name, blacklisted, phone or "") for pk, name, blacklisted, phone in rows]
    if not exact:
        return []
    client_table, phone_table, email_table = Client._meta.db_table, Phone._meta.db_table, Email._meta.db_table
    scope, scope_params = scope_sql(user, "c.curator_id")
    where = " AND c.archived_at IS NULL" + scope + (" AND c.kind = %s" if kind else "")
    where_params = scope_params + ([kind] if kind else [])
    first_phone = (f"(SELECT p.number FROM {phone_table} p WHERE p.client_id = c.id"
                   " ORDER BY p.is_primary DESC, p.id LIMIT 1)")
    selects, params = [], []
    for match, values in exact:
        if match == "phone":
            selects.append(f"SELECT c.id, c.display_name, c.is_blacklisted, m.number FROM {phone_table} m"
                           f" CROSS JOIN {client_table} c"
                           f" WHERE m.number IN ({', '.join(['%s'] * len(values))}) AND c.id = m.client_id{where}")
        elif match == "email":
            selects.append(f"SELECT c.id, c.display_name, c.is_blacklisted, {first_phone} FROM {email_table} m"
                           f" CROSS JOIN {client_table} c"
                           f" WHERE m.address >= %s AND m.address < %s AND c.id = m.client_id{where}")
        else:
            selects.append(f"SELECT c.id, c.display_name, c.is_blacklisted, {first_phone} FROM {client_table} c"
                           f" WHERE c.tax_id = %s{where}")
        params += values + where_params
    # CROSS JOIN: SQLite then starts from the matched phone or email (its index), never from the
    # curator's clients; PostgreSQL reads it as a plain join. A client found twice (by two
    # addresses, or by phone and tax id) is shown once.
    sql = " UNION ALL ".join(selects) + f" ORDER BY 2, 1 LIMIT {int(limit) * 3}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found: dict[int, ClientSuggestion] = {}
    for pk, name, blacklisted, phone in rows:
        if pk not in found:
            found[pk] = ClientSuggestion(pk, name, bool(blacklisted), phone or "")
    return list(found.values())[:limit]


@dataclass
class Duplicate:
    client: Client
    reason: str
    visible: bool

    def as_dict(self, url: str | None = None) -> dict:
        if not self.visible:
            return {"id": None, "name": None, "reason": self.reason, "url": None}
        return {"id": self.client.pk, "name": self.client.display_name, "reason": self.reason, "url": url}


def _similar(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, fold(a), fold(b)).ratio()


def find_duplicates(
    *,
    user,
    kind: str,
    phones: list[str] = (),
    emails: list[str] = (),
    tax_id: str = "",
    last_name: str = "",
    first_name: str = "",
    middle_name: str = "",
    legal_name: str = "",
    birth_date: datetime.date | None = None,
    exclude_pk: int | None = None,
) -> list[Duplicate]:
    """Existing clients that look like the one described. Any client counts, seen or not: a
    client out of the user's scope is reported without its name, so nobody registers it twice."""
    found: dict[int, Duplicate] = {}

    def add(client, reason):
        if client.pk == exclude_pk or client.pk in found:
            return
        visible = Client.objects.visible_to(user).filter(pk=client.pk).exists()
        found[client.pk] = Duplicate(client, reason, visible)

    base = Client.objects.filter(archived_at__isnull=True)
    if phones:
        for phone in Phone.objects.filter(number__in=list(phones), client__archived_at__isnull=True).select_related("client"):
            add(phone.client, _("same phone %(number)s") % {"number": phone.number})
    if emails:
        lowered = [e.lower() for e in emails]
        for email in Email.objects.filter(address__in=lowered, client__archived_at__isnull=True).select_related("client"):
            add(email.client, _("same email %(email)s") % {"email": email.address})
    if tax_id:
        for client in base.filter(tax_id=tax_id):
            add(client, _("same tax id %(tax_id)s") % {"tax_id": tax_id})
    if kind == ClientKind.PERSON and last_name:
        full = " ".join(p for p in (last_name, first_name, middle_name) if p)
        if birth_date:
            swapped = None
            if birth_date.day <= 12:
                try:
                    swapped = birth_date.replace(month=birth_date.day, day=birth_date.month)
                except ValueError:
                    swapped = None
            dates = [birth_date] + ([swapped] if swapped else [])
            for client in base.filter(kind=ClientKind.PERSON, birth_date__in=dates):
                if _similar(client.display_name, full) >= 0.8:
                    add(client, _("similar name and birth date"))
        # The same name with a birth date off by a typo.
        tokens = name_tokens(last_name, first_name)
        if tokens and birth_date:
            candidates = base.filter(kind=ClientKind.PERSON, birth_date__range=(
                birth_date - datetime.timedelta(days=366), birth_date + datetime.timedelta(days=366)))
            for token in tokens:
                candidates = candidates.filter(pk__in=ClientSearchToken.objects.filter(token=token).values("client_id"))
            for client in candidates[:20]:
                if fold(client.display_name) == fold(full):
                    add(client, _("same name, close birth date"))
    if kind == ClientKind.ORGANISATION and legal_name:
        tokens = name_tokens(legal_name)
        candidates = base.filter(kind=ClientKind.ORGANISATION)
        for token in list(tokens)[:4]:
            candidates = candidates.filter(pk__in=ClientSearchToken.objects.filter(token=token).values("client_id"))
        for client in candidates[:20]:
            if _similar(client.display_name, legal_name) >= 0.9:
                add(client, _("similar legal name"))
    return list(found.values())


@dataclass
class RelationshipRow:
    relationship: Relationship
    other: Client
    kind_label: str


def client_relationships(client: Client, user) -> list[RelationshipRow]:
    """Both directions, each read from this client's side: the other client and what they are to it."""
    visible = Client.objects.visible_to(user)
    rows = []
    for rel in Relationship.objects.filter(from_client=client, to_client__in=visible).select_related("to_client"):
        rows.append(RelationshipRow(rel, rel.to_client, RelationshipKind(rel.kind).label))
    for rel in Relationship.objects.filter(to_client=client, from_client__in=visible).select_related("from_client"):
        inverse = INVERSE_RELATIONSHIP[RelationshipKind(rel.kind)]
        rows.append(RelationshipRow(rel, rel.from_client, inverse.label))
    return rows


def groups_visible_to(user):
    """Company groups for everyone, department groups for the department, personal ones for the owner."""
    groups = ClientGroup.objects.all()
    if user.visibility_scope == "all":
        return groups.filter(Q(kind__in=[GroupKind.COMPANY, GroupKind.DEPARTMENT]) | Q(owner=user))
    return groups.filter(
        Q(kind=GroupKind.COMPANY)
        | Q(kind=GroupKind.DEPARTMENT, department_id=user.department_id)
        | Q(kind=GroupKind.PERSONAL, owner=user)
    )


def dashboard_figures(user) -> dict:
    """The client counts on the dashboard, within the user's scope."""
    from django.db.models import Count

    visible = Client.objects.visible_to(user).filter(archived_at__isnull=True)
    by_status = dict(visible.values_list("status").annotate(n=Count("pk")).order_by())
    return {
        "clients_total": sum(by_status.values()),
        "by_status": [(label, by_status.get(value, 0), value) for value, label in Client._meta.get_field("status").choices],
        "mine": visible.filter(curator=user).count(),
        "recent": list(visible.order_by("-created_at").select_related("curator")[:8]),
    }


def client_service_indicators(request, client) -> list[Indicator]:
    """The card indicators of the areas that have not landed yet (claims, the diary, service
    requests): shown as zero or a dash, never as an error, until their apps register the real ones
    under the same keys (a later registration with the same key replaces these)."""
    return [
        Indicator("claims", _("claims"), 0, weight=80),
        Indicator("claims_paid", _("claims paid"), {}, kind="money", weight=90),
        Indicator("loss_ratio", _("loss ratio"), None, kind="percent", weight=100),
        Indicator("last_contact", _("last contact"), None, kind="date", weight=210),
        Indicator("open_tasks", _("open tasks"), 0, weight=220),
        Indicator("open_requests", _("open requests"), 0, weight=230),
    ]
