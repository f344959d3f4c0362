"""Strict-reporting forms (БСО): form types, batches received from insurers, one row per numbered
form, and the movements of forms, from which the movement report is computed.

A form is used by exactly one policy and a policy prints on at most one form: ``Form.policy`` is a
one-to-one link, so the database refuses a second form for a policy, and the service takes a form
with a compare-and-set update, so two users taking the same number at once cannot both win.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from policydesk.core.history import ChangeHistory
from policydesk.core.models import ArchivableModel, TimestampedModel
from policydesk.core.visibility import scope_filter

from .choices import FormStatus, MovementKind

# One request may receive at most this many numbers; bigger deliveries come as several batches.
MAX_BATCH_SIZE = 100_000


def sees_office_stock(user) -> bool:
    """The office stock (forms held by nobody) is seen by those who may see everything and by
    those who hand it out (team leads issue forms from it)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return scope_filter(user, "holder") is None or user.has_perm("blanks.issue_form")


def holder_scope(user, path: str) -> Q | None:
    """Rows whose holder (at ``path``) the user may see; None when everything is visible."""
    condition = scope_filter(user, path)
    if condition is None:
        return None
    if sees_office_stock(user):
        condition |= Q(**{f"{path}__isnull": True})
    return condition


class HolderQuerySet(models.QuerySet):
    holder_paths: tuple[str, ...] = ("holder",)

    def visible_to(self, user):
        conditions = [holder_scope(user, path) for path in self.holder_paths]
        if any(c is None for c in conditions):
            return self
        combined = conditions[0]
        for condition in conditions[1:]:
            combined |= condition
        return self.filter(combined)


class FormType(TimestampedModel, ArchivableModel):
    name = models.CharField(_("name"), max_length=200)
    insurer = models.ForeignKey("insurance.Insurer", verbose_name=_("insurer"), on_delete=models.PROTECT,
                                related_name="form_types")
    line = models.ForeignKey("insurance.LineOfBusiness", verbose_name=_("line of business"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="form_types")
    series_format = models.CharField(_("series format"), max_length=100, blank=True,
                                     help_text=_("How the series is written, for example “ХХХ” (three letters)."))
    number_digits = models.PositiveSmallIntegerField(
        _("digits in a number"), default=0,
        help_text=_("Numbers are shown with leading zeros up to this many digits (0: as they are)."))
    notes = models.TextField(_("notes"), blank=True)
    history = ChangeHistory()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("form type")
        verbose_name_plural = _("form types")
        constraints = [
            models.UniqueConstraint(fields=["insurer", "name"], name="blanks_formtype_insurer_name_unique"),
            models.CheckConstraint(condition=Q(number_digits__lte=20), name="blanks_formtype_digits_range"),
        ]

    def __str__(self):
        return self.name

    def format_number(self, number: int) -> str:
        return str(number).zfill(self.number_digits) if self.number_digits else str(number)


class FormBatchQuerySet(models.QuerySet):
    def visible_to(self, user):
        # A batch is office paperwork: seen by whoever sees the office stock.
        return self if sees_office_stock(user) else self.none()


class FormBatch(TimestampedModel):
    """A delivery of numbered forms from an insurer into the office stock."""

    form_type = models.ForeignKey(FormType, verbose_name=_("form type"), on_delete=models.PROTECT,
                                  related_name="batches")
    series = models.CharField(_("series"), max_length=20, blank=True)
    first_number = models.PositiveBigIntegerField(_("first number"))
    last_number = models.PositiveBigIntegerField(_("last number"))
    received_on = models.DateField(_("received on"))
    insurer = models.ForeignKey("insurance.Insurer", verbose_name=pgettext_lazy("form batch", "received from"), on_delete=models.PROTECT,
                                related_name="form_batches")
    document = models.CharField(_("document"), max_length=200, blank=True,
                                help_text=_("The delivery note or act the forms came with."))
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("received by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    notes = models.TextField(_("notes"), blank=True)
    history = ChangeHistory()

    objects = FormBatchQuerySet.as_manager()

    class Meta:
        ordering = ["-received_on", "-pk"]
        verbose_name = _("batch of forms")
        verbose_name_plural = _("batches of forms")
        constraints = [
            models.CheckConstraint(condition=Q(last_number__gte=models.F("first_number")),
                                   name="blanks_formbatch_range_ordered"),
        ]

    def __str__(self):
        return f"{self.form_type} {self.series} {self.display_first}–{self.display_last}".replace("  ", " ")

    @property
    def quantity(self) -> int:
        return self.last_number - self.first_number + 1

    @property
    def display_first(self) -> str:
        return self.form_type.format_number(self.first_number)

    @property
    def display_last(self) -> str:
        return self.form_type.format_number(self.last_number)


class FormQuerySet(HolderQuerySet):
    holder_paths = ("holder",)


class Form(models.Model):
    """One numbered form. Never deleted: used, or written off as spoiled or lost."""

    form_type = models.ForeignKey(FormType, verbose_name=_("form type"), on_delete=models.PROTECT, related_name="forms")
    series = models.CharField(_("series"), max_length=20, blank=True)
    number = models.PositiveBigIntegerField(_("number"))
    batch = models.ForeignKey(FormBatch, verbose_name=_("batch"), on_delete=models.PROTECT, related_name="forms")
    # The agent accountable for the form; empty while it is in the office stock. A used or written-off
    # form keeps the holder it had, so that the report says whose it was.
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("holder"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="forms_held")
    status = models.CharField(_("status"), max_length=20, choices=FormStatus.choices, default=FormStatus.IN_STOCK)
    policy = models.OneToOneField("insurance.Policy", verbose_name=_("policy"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="blank_form")
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    used_on = models.DateField(_("used on"), null=True, blank=True)
    written_off_on = models.DateField(_("written off on"), null=True, blank=True)
    write_off_reason = models.CharField(_("write-off reason"), max_length=500, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = ChangeHistory()

    objects = FormQuerySet.as_manager()

    class Meta:
        ordering = ["form_type", "series", "number"]
        verbose_name = _("strict-reporting form")
        verbose_name_plural = _("strict-reporting forms")
        permissions = [
            ("issue_form", _("Can receive, issue and take back forms")),
            ("use_form", _("Can print policies on forms")),
            ("write_off_form", _("Can write off forms as spoiled or lost")),
            ("report_form", _("Can see the form movement report")),
            ("export_form", _("Can export forms")),
        ]
        indexes = [
            models.Index(fields=["holder", "status"], name="blanks_form_holder_status_idx"),
            models.Index(fields=["status", "form_type"], name="blanks_form_status_type_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["form_type", "series", "number"], name="blanks_form_number_unique"),
            models.CheckConstraint(condition=Q(status__in=FormStatus.values), name="blanks_form_status_valid"),
            # A used form has its policy, and only a used form has one.
            models.CheckConstraint(condition=Q(status=FormStatus.USED, policy__isnull=False)
                                   | (~Q(status=FormStatus.USED) & Q(policy__isnull=True)),
                                   name="blanks_form_used_has_policy"),
            models.CheckConstraint(condition=~Q(status=FormStatus.ISSUED) | Q(holder__isnull=False),
                                   name="blanks_form_issued_has_holder"),
            models.CheckConstraint(condition=~Q(status__in=[FormStatus.SPOILED, FormStatus.LOST])
                                   | ~Q(write_off_reason=""), name="blanks_form_write_off_has_reason"),
        ]

    def __str__(self):
        return " ".join(p for p in (self.series, self.display_number) if p)

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("blanks:form", args=[self.pk])

    @property
    def display_number(self) -> str:
        return self.form_type.format_number(self.number)


class FormMovementQuerySet(HolderQuerySet):
    holder_paths = ("from_holder", "to_holder")


class FormMovement(models.Model):
    """One event in the life of a range of forms (a single number for use and write-off).

    A *location* is the office stock (no holder) or an agent. Received: into the office. Issued:
    office → agent. Returned: agent → office. Used, spoiled, lost: out of ``from_holder``'s stock.
    The movement report sums quantities per location; nothing here is ever changed or deleted.
    """

    kind = models.CharField(_("movement"), max_length=20, choices=MovementKind.choices)
    form_type = models.ForeignKey(FormType, verbose_name=_("form type"), on_delete=models.PROTECT,
                                  related_name="movements")
    series = models.CharField(_("series"), max_length=20, blank=True)
    first_number = models.PositiveBigIntegerField(_("first number"))
    last_number = models.PositiveBigIntegerField(_("last number"))
    quantity = models.PositiveIntegerField(_("quantity"))
    happened_on = models.DateField(_("date"), db_index=True)
    from_holder = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("from"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    to_holder = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=pgettext_lazy("form movement", "to"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(FormBatch, verbose_name=_("batch"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="movements")
    policy = models.ForeignKey("insurance.Policy", verbose_name=_("policy"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    objects = FormMovementQuerySet.as_manager()

    class Meta:
        ordering = ["happened_on", "pk"]
        verbose_name = _("form movement")
        verbose_name_plural = _("form movements")
        indexes = [
            models.Index(fields=["form_type", "series", "first_number"], name="blanks_move_range_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=MovementKind.values), name="blanks_move_kind_valid"),
            models.CheckConstraint(condition=Q(last_number__gte=models.F("first_number")),
                                   name="blanks_move_range_ordered"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="blanks_move_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.series} {self.first_number}–{self.last_number}"

    @property
    def display_range(self) -> str:
        first = self.form_type.format_number(self.first_number)
        if self.first_number == self.last_number:
            return first
        return f"{first}–{self.form_type.format_number(self.last_number)}"
