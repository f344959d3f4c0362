"""Visibility scope: the one place that decides which records a user may see.

Every model whose rows belong to a client declares ``visibility_path``: the lookup from the model
to the client's curator ("curator" for Client itself, "client__curator" for its phones, and
"policy__client__curator" for, say, an installment). ``VisibleQuerySet.visible_to(user)`` turns
the user's scope into a filter on that path; every list, card, search, export, count, bulk action,
form choice and API endpoint starts from it, and a row outside it is a 404.
"""

from django.db import models
from django.db.models import Q


class Scope(models.TextChoices):
    # Ordered from narrowest to widest; a user with several roles gets the widest.
    OWN = "own", "own"
    DEPARTMENT = "department", "department"
    ALL = "all", "all"


SCOPE_RANK = {Scope.OWN: 0, Scope.DEPARTMENT: 1, Scope.ALL: 2}


def scope_curator_ids(user) -> set[int] | None:
    """The decision itself: None when the user sees every client, else the ids of the curators
    whose clients they see (empty: nothing). Anonymous or inactive users see nothing."""
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    scope = user.visibility_scope
    if scope == Scope.ALL:
        return None
    if scope == Scope.DEPARTMENT:
        return set(user.team_member_ids())
    return {user.pk}


def scope_filter(user, curator_path: str) -> Q | None:
    """A Q object limiting rows to the user's scope, or None when the user sees everything.

    ``curator_path`` is the lookup to the curator (a user).
    """
    curator_ids = scope_curator_ids(user)
    if curator_ids is None:
        return None
    if not curator_ids:
        return Q(pk__in=[])
    if len(curator_ids) == 1:
        return Q(**{curator_path: next(iter(curator_ids))})
    return Q(**{f"{curator_path}__in": curator_ids})


def scope_sql(user, curator_column: str) -> tuple[str, list]:
    """The same decision as an SQL condition on a curator column (`` AND ...``, or ``""``), for the
    few hand-written hot paths (the quick search's exact matches, the incoming-call lookup)."""
    curator_ids = scope_curator_ids(user)
    if curator_ids is None:
        return "", []
    if not curator_ids:
        return " AND 1 = 0", []
    ids = sorted(curator_ids)
    return f" AND {curator_column} IN ({', '.join(['%s'] * len(ids))})", ids


class VisibleQuerySet(models.QuerySet):
    def visibility_condition(self, user) -> Q | None:
        """Rows whose client's curator is in the user's scope, or, for models that name them in
        ``visibility_owner_paths``, rows that a user in the scope owns (a task's assignee or
        creator): a task delegated to me is mine even when its client is someone else's.
        None: the user sees every row."""
        paths = [self.model.visibility_path, *getattr(self.model, "visibility_owner_paths", ())]
        conditions = [scope_filter(user, path) for path in paths]
        if any(condition is None for condition in conditions):
            return None
        combined = conditions[0]
        for condition in conditions[1:]:
            combined |= condition
        return combined

    def visible_to(self, user):
        condition = self.visibility_condition(user)
        return self if condition is None else self.filter(condition)


class VisibleManager(models.Manager.from_queryset(VisibleQuerySet)):
    pass
