from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.db import models
from django.utils.translation import gettext_lazy as _

from policydesk.core.history import ChangeHistory
from policydesk.core.models import TimestampedModel
from policydesk.core.visibility import SCOPE_RANK

from .choices import Calendar, ManagerLevel, Role, Scope


class Department(TimestampedModel):
    name = models.CharField(_("name"), max_length=200, unique=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent department"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    history = ChangeHistory()

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self):
        return self.name


class RoleProfile(models.Model):
    """What a role (a Django group) may see: its visibility scope."""

    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="role_profile")
    code = models.CharField(_("code"), max_length=40, choices=Role.choices, blank=True)
    scope = models.CharField(_("visibility scope"), max_length=20, choices=Scope.choices, default=Scope.OWN)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")

    def __str__(self):
        return self.group.name


class User(AbstractUser):
    department = models.ForeignKey(
        Department, verbose_name=_("department"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="members",
    )
    head = models.ForeignKey(
        "self", verbose_name=_("head"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="subordinates",
    )
    level = models.CharField(_("manager level"), max_length=20, choices=ManagerLevel.choices, default=ManagerLevel.REGULAR)
    phone_extension = models.CharField(_("phone extension"), max_length=20, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, blank=True)
    calendar = models.CharField(_("calendar"), max_length=20, choices=Calendar.choices, default=Calendar.GREGORIAN)
    persian_digits = models.BooleanField(_("Persian digits"), default=False)
    # UI preferences that outlive a session, such as the columns chosen for each list.
    preferences = models.JSONField(_("preferences"), default=dict, blank=True)
    history = ChangeHistory(excluded_fields=["password", "last_login", "preferences"])

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.get_full_name() or self.username

    @property
    def visibility_scope(self) -> str:
        """The widest scope among the user's roles; superusers see all."""
        if self.is_superuser:
            return Scope.ALL
        cached = getattr(self, "_scope_cache", None)
        if cached is None:
            scopes = list(
                RoleProfile.objects.filter(group__user=self).values_list("scope", flat=True)
            )
            cached = max(scopes, key=lambda s: SCOPE_RANK[s], default=Scope.OWN)
            self._scope_cache = cached
        return cached

    def subordinate_ids(self) -> set[int]:
        """Everyone below this user in the chain of heads, however deep."""
        found: set[int] = set()
        frontier = {self.pk}
        while frontier:
            below = set(User.objects.filter(head_id__in=frontier).values_list("pk", flat=True)) - found - {self.pk}
            found |= below
            frontier = below
        return found

    def team_member_ids(self) -> set[int]:
        """Department scope: me, my department's members and my subordinates."""
        cached = getattr(self, "_team_cache", None)
        if cached is None:
            cached = {self.pk} | self.subordinate_ids()
            if self.department_id:
                cached |= set(User.objects.filter(department_id=self.department_id).values_list("pk", flat=True))
            self._team_cache = cached
        return cached
