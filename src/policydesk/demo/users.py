"""The demo agency's staff: one user per role worth showing, in two departments, and, for a large
demo, more agents so that clients are spread over curators as in a real agency."""

from policydesk.accounts.choices import Role
from policydesk.accounts.models import Department, User
from policydesk.accounts.roles import role_group

DEMO_PASSWORD = "policydesk-demo"

# username, role, first name, last name, department, head, language
DEMO_USERS = [
    ("admin", Role.ADMINISTRATOR, "Anna", "Admin", None, None, "en"),
    ("lead", Role.TEAM_LEAD, "Oleg", "Smirnov", "Retail sales", None, "ru"),
    ("agent1", Role.AGENT, "Ivan", "Petrov", "Retail sales", "lead", "ru"),
    ("agent2", Role.AGENT, "Maryam", "Karimi", "Corporate sales", None, "fa"),
    ("operator", Role.SERVICE_OPERATOR, "Leyla", "Aliyeva", "Service centre", None, "az"),
    ("claims", Role.CLAIMS_HANDLER, "Nadia", "Orlova", "Claims", None, "ru"),
    ("marketing", Role.MARKETING, "Wei", "Zhang", "Marketing", None, "zh-hans"),
    ("auditor", Role.AUDITOR, "Emma", "Brown", None, None, "en"),
]

# Extra agents of a large demo: names to combine, and the departments they work in.
_AGENT_FIRST = ["Alexei", "Dmitri", "Olga", "Svetlana", "Reza", "Sara", "Elvin", "Aysel", "Li", "Mei", "John", "Kate"]
_AGENT_LAST = ["Ivanov", "Kuznetsova", "Ahmadi", "Hosseini", "Mammadov", "Huseynova", "Wang", "Chen", "Smith", "Miller"]


def ensure_demo_users() -> list[User]:
    """Create the demo users if they are missing; idempotent."""
    users = {}
    for username, role, first, last, department_name, head, language in DEMO_USERS:
        department = Department.objects.get_or_create(name=department_name)[0] if department_name else None
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, first_name=first, last_name=last, department=department,
                        language=language, calendar="jalali" if language == "fa" else "gregorian",
                        email=f"{username}@policydesk.example")
            user.set_password(DEMO_PASSWORD)
            if role == Role.ADMINISTRATOR:
                user.is_staff = user.is_superuser = True
            if head:
                user.head = users[head]
            user.save()
            user.groups.add(role_group(role))
        users[username] = user
    return list(users.values())


def ensure_demo_agents(count: int) -> list[User]:
    """Make sure agents ``agent3`` … ``agent{count + 2}`` exist (idempotent) and return them.

    They sit in the two sales departments (retail ones report to ``lead``) and have no usable
    password: an administrator sets one to log in as them. Returns every such agent, old and new.
    """
    if count <= 0:
        return []
    retail = Department.objects.get_or_create(name="Retail sales")[0]
    corporate = Department.objects.get_or_create(name="Corporate sales")[0]
    lead = User.objects.filter(username="lead").first()
    wanted = [f"agent{n}" for n in range(3, count + 3)]
    existing = set(User.objects.filter(username__in=wanted).values_list("username", flat=True))
    new = []
    for index, username in enumerate(wanted):
        if username in existing:
            continue
        in_retail = index % 2 == 0
        user = User(
            username=username, first_name=_AGENT_FIRST[index % len(_AGENT_FIRST)],
            last_name=_AGENT_LAST[(index // len(_AGENT_FIRST)) % len(_AGENT_LAST)],
            department=retail if in_retail else corporate, head=lead if in_retail else None,
            email=f"{username}@policydesk.example", language="ru" if in_retail else "en",
        )
        user.set_unusable_password()
        new.append(user)
    if new:
        User.objects.bulk_create(new)
        agents = User.objects.filter(username__in=[u.username for u in new])
        role_group(Role.AGENT).user_set.add(*agents)
    return list(User.objects.filter(username__in=wanted).order_by("pk"))


def demo_logins() -> list[tuple[str, str, str]]:
    """(username, role, password) of the demo users that exist."""
    existing = set(User.objects.filter(username__in=[u[0] for u in DEMO_USERS]).values_list("username", flat=True))
    return [(u[0], str(u[1].label), DEMO_PASSWORD) for u in DEMO_USERS if u[0] in existing]
