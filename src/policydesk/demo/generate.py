"""Realistic synthetic agency data, fast enough for a million clients.

Faker builds pools of names, streets, companies and jobs per locale once; clients are then
combined from the pools with a seeded random generator, as plain tuples, and written in batches
of ``BATCH`` clients with one ``executemany`` per table (SQLite) or ``COPY`` (PostgreSQL) through
Django's connection, so memory stays flat whatever the count.

Clients get explicit ids (their contact points, tokens and relations refer to them); the rows
that nothing refers to get theirs from the database. Each batch draws from its own generator,
seeded with the seed and the batch's first client id: the same seed on the same database gives
the same data, and a second run adds different clients after the first.

Each batch also carries its clients' insurance (``insurance.PolicyBook``: insured objects, policies,
installments, payments), written in the same transaction; the catalogue comes first
(``catalogue``) and the office's paperwork, forms and commission statements, last
(``backoffice``). Large loads generate the next batch in a child process while this one writes, and
fill empty tables without their secondary indexes, built at the end (``bulk``).
"""

import bisect
import datetime
import functools
import random
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone
from faker import Faker

from policydesk.accounts.choices import Role
from policydesk.accounts.models import User
from policydesk.claims.ledger import ledger_rebuild
from policydesk.clients.choices import (
    AcquisitionSource,
    AddressKind,
    ClientKind,
    ClientStatus,
    EmailKind,
    MessengerKind,
    PhoneKind,
    RelationshipKind,
)
from policydesk.clients.models import (
    Address,
    Client,
    ClientSearchToken,
    ContactPerson,
    CuratorAssignment,
    Email,
    MessengerId,
    Phone,
    Relationship,
    Tag,
)
from policydesk.core.text import name_tokens, person_name
from policydesk.insurance.models import Policy

from .backoffice import record_back_office
from .bulk import (
    Prefetched,
    Table,
    Writer,
    analyze,
    bulk_load_settings,
    can_prefetch,
    deferred_indexes,
    next_id,
    reset_sequences,
)
from .catalogue import ensure_catalogue
from .claims import record_claims
from .insurance import PolicyBook
from .service import record_requests
from .users import demo_logins, ensure_demo_agents, ensure_demo_users

BATCH = 10_000
POOL = 400
ORG_SHARE = 0.12
# One extra agent per this many clients (up to MAX_AGENTS), so that large demos spread clients
# over curators the way an agency does.
CLIENTS_PER_AGENT = 5_000
MAX_AGENTS = 200
# Planner statistics are refreshed after a load of at least this many clients.
ANALYZE_FROM = 20_000
# Empty tables are loaded without their secondary indexes, built afterwards, from this many clients.
DEFER_INDEXES_FROM = 100_000
# From this many clients, a child process generates the next batch while this one writes.
PREFETCH_FROM = 3 * BATCH
# Birth dates count back from a fixed day, so that the same seed gives the same data any day.
BIRTH_REFERENCE = datetime.date(2026, 1, 1)

# locale, share of clients, country, language, country name as written there
LOCALES = [
    ("ru_RU", 0.40, "RU", "ru", "Россия"),
    ("fa_IR", 0.20, "IR", "fa", "ایران"),
    ("az_AZ", 0.15, "AZ", "az", "Azərbaycan"),
    ("zh_CN", 0.10, "CN", "zh-hans", "中国"),
    ("en_US", 0.15, "US", "en", "United States"),
]

# National numbering plans: mobile operator prefixes and landline area codes that are in use,
# each with the length of the subscriber part. Numbers are stored in E.164.
_MOBILE = {
    "RU": ("+7", ["903", "905", "909", "912", "915", "916", "919", "921", "926", "929", "950", "977", "985", "999"], 7),
    "IR": ("+98", ["912", "913", "919", "935", "936", "937", "901", "902", "921", "922"], 7),
    "AZ": ("+994", ["50", "51", "55", "70", "77", "99", "10"], 7),
    "CN": ("+86", ["139", "138", "137", "136", "135", "158", "159", "186", "187", "188"], 8),
    "US": ("+1", ["212", "415", "646", "312", "617", "206", "512"], 7),
}
_LANDLINE = {
    "RU": ("+7", ["495", "499", "812", "843", "383", "343"], 7),
    "IR": ("+98", ["21", "31", "51", "71"], 8),
    "AZ": ("+994", ["12"], 7),
    "CN": ("+86", ["10", "21"], 8),
    "US": ("+1", ["212", "415", "312", "617"], 7),
}
# The first digit of the subscriber part: operators and exchanges do not start numbers with every digit.
_FIRST_DIGIT = {"RU": "123456789", "IR": "2345678", "AZ": "2345678", "CN": "2345678", "US": "2345678"}


def _number(rng: random.Random, plan: tuple, country: str) -> str:
    code, prefixes, length = plan
    first = rng.choice(_FIRST_DIGIT[country])
    rest = rng.randrange(10 ** (length - 1))
    return f"{code}{rng.choice(prefixes)}{first}{rest:0{length - 1}d}"


def _mobile(rng: random.Random, country: str) -> str:
    """A valid mobile number in E.164 for the country (real operator prefixes)."""
    return _number(rng, _MOBILE[country], country)


def _landline(rng: random.Random, country: str) -> str:
    """A valid fixed-line number in E.164 for the country (real area codes)."""
    return _number(rng, _LANDLINE[country], country)


def _inn(rng: random.Random, length: int) -> str:
    """A Russian INN with valid check digits (10 for organisations, 12 for persons)."""
    def check(digits, weights):
        return str(sum(d * w for d, w in zip(digits, weights, strict=False)) % 11 % 10)

    if length == 10:
        digits = [rng.randrange(10) for _ in range(9)]
        return "".join(map(str, digits)) + check(digits, [2, 4, 10, 3, 5, 9, 4, 6, 8])
    digits = [rng.randrange(10) for _ in range(10)]
    d11 = check(digits, [7, 2, 4, 10, 3, 5, 9, 4, 6, 8])
    digits.append(int(d11))
    d12 = check(digits, [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8])
    return "".join(map(str, digits)) + d12


def _tax_id(rng: random.Random, country: str, is_org: bool) -> str:
    if country == "RU":
        return _inn(rng, 10 if is_org else 12)
    if country == "AZ":  # VÖEN: ten digits
        return f"{rng.randrange(10**9, 10**10)}"
    if country == "IR":  # national id of a legal entity: eleven digits
        return f"{rng.randrange(10**10, 10**11)}"
    if country == "CN":  # unified social credit code (digits-only variant)
        return f"91{rng.randrange(10**15, 10**16)}"
    return f"{rng.randrange(10, 99)}{rng.randrange(10**7):07d}"  # US EIN


@dataclass
class LocalePool:
    locale: str
    country: str
    language: str
    country_name: str
    male_first: list
    female_first: list
    male_last: list
    female_last: list
    male_middle: list
    female_middle: list
    cities: list
    regions: list
    streets: list
    postcodes: list
    companies: list
    jobs: list
    latin: list


@functools.lru_cache(maxsize=16)
def _pool(locale: str, country: str, language: str, country_name: str, seed: int) -> LocalePool:
    """Names, places, companies and jobs of one locale (kept for the process: they only depend on
    the arguments and are never changed)."""
    fake = Faker(locale)
    fake.seed_instance(seed)
    latin = Faker("en_US")
    latin.seed_instance(seed)

    def many(func, n=POOL):
        # Distinct, stripped values (a few Faker names carry a stray space), none empty.
        return [v for v in dict.fromkeys(" ".join(func().split()) for _ in range(n)) if v]

    has_middle = locale == "ru_RU"
    male_last = many(fake.last_name_male if hasattr(fake, "last_name_male") else fake.last_name)
    female_last = many(fake.last_name_female if hasattr(fake, "last_name_female") else fake.last_name)
    region = getattr(fake, "administrative_unit", None) or getattr(fake, "state", None) or getattr(fake, "province", None)
    user_names = [u.lower() for u in many(fake.user_name, POOL) + many(latin.user_name, POOL)]
    return LocalePool(
        locale=locale, country=country, language=language, country_name=country_name,
        male_first=many(fake.first_name_male), female_first=many(fake.first_name_female),
        male_last=male_last, female_last=female_last,
        male_middle=many(fake.middle_name_male) if has_middle else [""],
        female_middle=many(fake.middle_name_female) if has_middle else [""],
        cities=many(fake.city, 60), regions=many(region, 30) if region else [""],
        streets=[s[:300] for s in many(fake.street_address, 2000)], postcodes=many(fake.postcode, 300),
        companies=[c[:300] for c in many(fake.company, 2000)], jobs=[j[:200] for j in many(fake.job, 150)],
        latin=[u for u in dict.fromkeys(user_names) if u.isascii() and u.replace("_", "").replace(".", "").isalnum()],
    )


SOURCES = [s.value for s in AcquisitionSource]
STATUS_WEIGHTS = ([ClientStatus.CLIENT.value] * 6) + ([ClientStatus.PROSPECT.value] * 3) + [ClientStatus.FORMER.value]
CHANNELS = ["phone", "sms", "email", "messenger", "phone", "messenger"]
INDUSTRIES = ["retail", "logistics", "construction", "IT", "manufacturing", "agriculture", "healthcare", "transport"]
CONTACT_ROLES = ["director", "accountant", "HR", "owner", "fleet manager", "office manager"]
DOMAINS = ["example.com", "example.org", "example.net", "mail.example", "inbox.example"]
FAMILY = [RelationshipKind.SPOUSE.value] * 6 + [RelationshipKind.SIBLING.value] * 2 + [RelationshipKind.FRIEND.value]
BLACKLIST_REASONS = ["unpaid premiums", "fraudulent claim", "abusive to staff"]


# -- generating rows ---------------------------------------------------------------------------

CLIENT_COLUMNS = (
    "id", "created_at", "updated_at", "archived_at", "kind", "status", "last_name", "first_name", "middle_name",
    "legal_name", "display_name", "tax_id", "birth_date", "gender", "occupation", "position", "employer", "industry",
    "region", "city", "district", "preferred_channel", "preferred_language", "consent_phone", "consent_sms",
    "consent_email", "consent_post", "consent_messenger", "acquisition_source", "notes", "is_blacklisted",
    "blacklist_reason", "custom_fields", "created_by_id", "curator_id", "merged_into_id", "referred_by_id",
)
TOKEN_COLUMNS = ("client_id", "token")
PHONE_COLUMNS = ("created_at", "updated_at", "is_primary", "note", "kind", "number", "extension", "client_id")
EMAIL_COLUMNS = ("created_at", "updated_at", "is_primary", "note", "kind", "address", "client_id")
ADDRESS_COLUMNS = ("created_at", "updated_at", "is_primary", "note", "kind", "country", "region", "city", "district",
                   "street", "apartment", "postal_code", "client_id")
MESSENGER_COLUMNS = ("created_at", "updated_at", "is_primary", "note", "kind", "handle", "client_id")
ASSIGNMENT_COLUMNS = ("started_at", "ended_at", "assigned_by_id", "client_id", "curator_id")
RELATIONSHIP_COLUMNS = ("created_at", "updated_at", "kind", "note", "from_client_id", "to_client_id")
CONTACT_COLUMNS = ("created_at", "updated_at", "role", "is_primary", "organisation_id", "person_id")
TAG_COLUMNS = ("client_id", "tag_id")


@dataclass
class _Context:
    seed: int
    pools: list
    cum_weights: list
    curators: list  # user ids
    tags: list  # tag ids
    admin_id: int | None
    now: object  # the creation time, already adapted for the database
    birth_dates: list  # adapted dates, index = days before BIRTH_REFERENCE - 18 years
    first_pk: int  # the first client id of this run: referrers are chosen from this run's clients
    token_cache: dict = field(default_factory=dict)

    def tokens(self, part: str) -> tuple:
        # name_tokens of a whole name is the union of its parts' (parts are separate words), and
        # parts repeat a lot: one call per distinct part.
        found = self.token_cache.get(part)
        if found is None:
            found = self.token_cache[part] = tuple(name_tokens(part))
        return found


def _batch(ctx: _Context, start: int, size: int) -> dict[str, list[tuple]]:
    """The rows of clients ``start`` … ``start + size - 1`` and everything that hangs off them."""
    rng = random.Random(f"{ctx.seed}:{start}")
    rand = rng.random
    choice = rng.choice
    randrange = rng.randrange
    now = ctx.now
    pools, cum, top = ctx.pools, ctx.cum_weights, ctx.cum_weights[-1]

    # 1. Who is who: locale and kind of each client; organisations pick their legal name and
    # their contact persons among the persons of the same locale in the batch.
    plan_pool = [pools[bisect.bisect(cum, rand() * top)] for _ in range(size)]
    plan_org = [rand() < ORG_SHARE for _ in range(size)]
    if size and all(plan_org):
        plan_org[-1] = False
    persons_by_locale: dict[str, list[int]] = {}
    all_persons = []
    for index in range(size):
        if not plan_org[index]:
            persons_by_locale.setdefault(plan_pool[index].locale, []).append(index)
            all_persons.append(index)
    legal_names: dict[int, str] = {}
    employment: dict[int, tuple[str, str]] = {}  # person index -> (employer, position)
    contacts = []
    for index in range(size):
        if not plan_org[index]:
            continue
        pool = plan_pool[index]
        legal = legal_names[index] = choice(pool.companies)
        candidates = persons_by_locale.get(pool.locale) or all_persons
        chosen = {choice(candidates) for _ in range(1 if rand() < 0.7 else 2)}
        for order, person in enumerate(sorted(chosen)):
            role = choice(CONTACT_ROLES)
            employment[person] = (legal, role)
            contacts.append((now, now, role, order == 0, start + index, start + person))

    clients, tokens, phones, emails, addresses, messengers, assignments, tags = [], [], [], [], [], [], [], []
    curators, tag_ids, birth_dates, admin_id = ctx.curators, ctx.tags, ctx.birth_dates, ctx.admin_id
    n_birth = len(birth_dates)
    first_pk = ctx.first_pk
    for index in range(size):
        pk = start + index
        pool = plan_pool[index]
        country = pool.country
        is_org = plan_org[index]
        curator = choice(curators)
        status = choice(STATUS_WEIGHTS)
        city = choice(pool.cities)
        region = choice(pool.regions)
        source = choice(SOURCES)
        referred_by = randrange(first_pk, pk) if source == "referral" and pk > first_pk and rand() < 0.5 else None
        archived = now if rand() < 0.01 else None
        blacklisted = rand() < 0.003
        if is_org:
            legal = legal_names[index]
            last = first = middle = gender = occupation = position = employer = ""
            birth = None
            display = legal.strip()
            tax_id = _tax_id(rng, country, True)
            industry = choice(INDUSTRIES)
            name_parts = (legal,)
        else:
            female = rand() < 0.5
            gender = "female" if female else "male"
            first = choice(pool.female_first if female else pool.male_first)
            last = choice(pool.female_last if female else pool.male_last)
            middle = choice(pool.female_middle if female else pool.male_middle)
            legal = industry = ""
            birth = birth_dates[randrange(n_birth)]
            occupation = choice(pool.jobs)
            employer, position = employment.get(index, ("", ""))
            display = person_name(last, first, middle)
            tax_id = _tax_id(rng, country, False) if country == "RU" and rand() < 0.5 else ""
            # A Chinese name is one word (王伟): index it whole, so that any part of it is found.
            name_parts = (display,) if " " not in display else (last, first, middle) if middle else (last, first)
        clients.append((
            pk, now, now, archived, ClientKind.ORGANISATION.value if is_org else ClientKind.PERSON.value, status,
            last, first, middle, legal, display, tax_id, birth, gender, occupation, position, employer, industry,
            region, city, "", choice(CHANNELS), pool.language, rand() < 0.4, rand() < 0.6, rand() < 0.5,
            rand() < 0.1, rand() < 0.3, source, "", blacklisted, choice(BLACKLIST_REASONS) if blacklisted else "",
            "{}", curator, curator, None, referred_by,
        ))
        seen = set()
        for part in name_parts:
            for token in ctx.tokens(part):
                if token not in seen:
                    seen.add(token)
                    tokens.append((pk, token))

        mobile = _mobile(rng, country)
        if is_org:
            office = _landline(rng, country)
            phones.append((now, now, True, "", PhoneKind.WORK.value, office, "", pk))
            if rand() < 0.5:
                phones.append((now, now, False, "", PhoneKind.MOBILE.value, mobile, "", pk))
        else:
            phones.append((now, now, True, "", PhoneKind.MOBILE.value, mobile, "", pk))
            if rand() < 0.25:
                phones.append((now, now, False, "", PhoneKind.HOME.value, _landline(rng, country), "", pk))
        if rand() < (0.9 if is_org else 0.7):
            user = choice(pool.latin)
            address = f"{'office' if is_org else user}.{pk}@{choice(DOMAINS)}"
            emails.append((now, now, True, "", EmailKind.WORK.value if is_org else EmailKind.PERSONAL.value,
                           address, pk))
        if rand() < 0.6:
            apartment = "" if is_org or rand() < 0.3 else str(randrange(1, 300))
            addresses.append((now, now, True, "", AddressKind.OFFICE.value if is_org else AddressKind.RESIDENCE.value,
                              pool.country_name, region, city, "", choice(pool.streets), apartment,
                              choice(pool.postcodes), pk))
        if not is_org and rand() < 0.3:
            if country == "CN":
                messengers.append((now, now, True, "", MessengerKind.WECHAT.value, f"wx_{choice(pool.latin)}{pk}", pk))
            elif rand() < 0.5:
                messengers.append((now, now, True, "", MessengerKind.TELEGRAM.value, f"@{choice(pool.latin)}{pk}", pk))
            else:
                messengers.append((now, now, True, "", MessengerKind.WHATSAPP.value, mobile, pk))
        assignments.append((now, None, admin_id, pk, curator))
        if rand() < 0.2:
            first_tag = choice(tag_ids)
            tags.append((pk, first_tag))
            if rand() < 0.25:
                second = choice(tag_ids)
                if second != first_tag:
                    tags.append((pk, second))

    # 2. Families and friends: pairs of persons of the same locale in the batch.
    relationships = []
    for members in persons_by_locale.values():
        for a, b in zip(members[0::2], members[1::2], strict=False):
            if rand() < 0.3:
                relationships.append((now, now, choice(FAMILY), "", start + a, start + b))

    return {
        "client": clients, "token": tokens, "phone": phones, "email": emails, "address": addresses,
        "messenger": messengers, "assignment": assignments, "relationship": relationships, "contact": contacts,
        "tag": tags,
    }


def _tables() -> dict[str, Table]:
    return {
        "client": Table(Client, CLIENT_COLUMNS),
        "token": Table(ClientSearchToken, TOKEN_COLUMNS),
        "phone": Table(Phone, PHONE_COLUMNS),
        "email": Table(Email, EMAIL_COLUMNS),
        "address": Table(Address, ADDRESS_COLUMNS),
        "messenger": Table(MessengerId, MESSENGER_COLUMNS),
        "assignment": Table(CuratorAssignment, ASSIGNMENT_COLUMNS),
        "relationship": Table(Relationship, RELATIONSHIP_COLUMNS),
        "contact": Table(ContactPerson, CONTACT_COLUMNS),
        "tag": Table(Client.tags.through, TAG_COLUMNS),
    }


def _curators(count: int) -> list[int]:
    """Agents and team leads (active), after making sure a large demo has enough of them."""
    ensure_demo_agents(min(MAX_AGENTS, count // CLIENTS_PER_AGENT))
    ids = list(
        User.objects.filter(is_active=True, groups__role_profile__code__in=[Role.AGENT, Role.TEAM_LEAD])
        .distinct().order_by("pk").values_list("pk", flat=True)
    )
    return ids or list(User.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True)[:1])


def _batches(ctx: _Context, book: PolicyBook | None, first_pk: int, count: int):
    """(size, rows by table) of each batch of clients, with their policies and money."""
    made = 0
    while made < count:
        size = min(BATCH, count - made)
        rows = _batch(ctx, first_pk + made, size)
        if book is not None:
            rows.update(book.rows_for(rows, first_pk + made))
        yield size, rows
        made += size


def generate_clients(count: int, *, seed: int = 2026, progress: bool = False, policies: bool = True,
                     policy_scale: float = 1.0) -> int:
    """Insert ``count`` synthetic clients with contact points, relationships and curators, and (unless
    ``policies`` is false) their insured objects, policies, payments (``insurance``) and claims
    (``claims``); ``policy_scale`` multiplies the policies each policyholder holds. One service request
    per 20 new clients (``service``)."""
    if count <= 0:
        return 0
    curators = _curators(count)
    if not curators:
        raise RuntimeError("No active user to curate the demo clients: create users first.")
    pools = [_pool(loc, country, lang, name, seed + i) for i, (loc, _share, country, lang, name) in enumerate(LOCALES)]
    cum_weights, total = [], 0.0
    for _loc, share, *_rest in LOCALES:
        total += share
        cum_weights.append(total)
    if not Tag.objects.exists():
        Tag.objects.bulk_create([Tag(name=n, color=c) for n, c in
                                 (("VIP", "warning"), ("motor", "primary"), ("family", "success"), ("corporate", "info"))])
    tag_ids = list(Tag.objects.order_by("pk").values_list("pk", flat=True))
    admin_id = User.objects.filter(username="admin").values_list("pk", flat=True).first()
    ops = connection.ops
    first_pk = next_id(Client)
    first_policy_pk = next_id(Policy)
    youngest = BIRTH_REFERENCE.replace(year=BIRTH_REFERENCE.year - 18)
    ctx = _Context(
        seed=seed, pools=pools, cum_weights=cum_weights, curators=curators, tags=tag_ids, admin_id=admin_id,
        now=ops.adapt_datetimefield_value(timezone.now()),
        birth_dates=[ops.adapt_datefield_value(youngest - datetime.timedelta(days=d)) for d in range(62 * 365)],
        first_pk=first_pk,
    )
    tables = _tables()
    book = None
    if policies:
        catalogue = ensure_catalogue(User.objects.filter(pk=admin_id).first())
        book = PolicyBook(seed=seed, catalogue=catalogue, pools=pools, columns={
            "client": CLIENT_COLUMNS, "relationship": RELATIONSHIP_COLUMNS, "contact": CONTACT_COLUMNS,
            "address": ADDRESS_COLUMNS}, scale=policy_scale)
        tables.update(book.tables())
    writer = Writer()
    touched = [t.model for t in tables.values()]
    batches = _batches(ctx, book, first_pk, count)
    if count >= PREFETCH_FROM and can_prefetch():
        batches = Prefetched(batches)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=count, unit="clients", unit_scale=True, dynamic_ncols=True, smoothing=0.05)
    made = 0
    try:
        with bulk_load_settings(fresh=first_pk == 1), \
                deferred_indexes(touched, enabled=count >= DEFER_INDEXES_FROM):
            for size, rows in batches:
                with transaction.atomic():
                    for key, table in tables.items():
                        writer.write(table, rows[key])
                made += size
                if bar is not None:
                    bar.update(size)
    finally:
        if isinstance(batches, Prefetched):
            batches.close()
        if bar is not None:
            bar.close()
    reset_sequences(touched)
    if book is not None:
        # The rows were written with is_renewed false: a renewal is generated after the policy it renews.
        with connection.cursor() as cursor:
            cursor.execute("UPDATE insurance_policy SET is_renewed = TRUE WHERE is_renewed = FALSE AND id IN"
                           " (SELECT renews_id FROM insurance_policy WHERE state = 'issued' AND renews_id IS NOT NULL)")
        record_back_office(book.catalogue, seed=seed, today=book.today)
    if count >= ANALYZE_FROM:
        analyze(touched)
    today = book.today if book is not None else timezone.localdate()
    if book is not None:
        record_claims(seed=seed, today=today, policy_from=first_policy_pk)
        # The bulk rows went in beside the services: the loss ledger is made again from them.
        ledger_rebuild()
    record_requests(seed=seed, today=today, count=made // 20, clients_from=first_pk)
    return made


def generate_demo(clients: int = 500, *, seed: int = 2026, progress: bool = False,
                  policies: bool = True, policy_scale: float = 1.0) -> list[tuple[str, str, str]]:
    from .messaging import record_messaging

    ensure_demo_users()
    generate_clients(clients, seed=seed, progress=progress, policies=policies, policy_scale=policy_scale)
    record_messaging()
    return demo_logins()


__all__ = ["demo_logins", "ensure_demo_users", "generate_clients", "generate_demo"]
