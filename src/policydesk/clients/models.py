from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from policydesk.core.history import ChangeHistory
from policydesk.core.models import ArchivableModel, TimestampedModel
from policydesk.core.text import person_name
from policydesk.core.visibility import VisibleQuerySet

from .choices import (
    AcquisitionSource,
    AddressKind,
    AppliesTo,
    Channel,
    ClientKind,
    ClientStatus,
    CustomFieldType,
    EmailKind,
    Gender,
    GroupKind,
    MessengerKind,
    PhoneKind,
    RelationshipKind,
)


class Tag(TimestampedModel):
    name = models.CharField(_("name"), max_length=100, unique=True)
    color = models.CharField(_("colour"), max_length=20, default="secondary")

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self):
        return self.name


class ClientQuerySet(VisibleQuerySet):
    def active(self):
        return self.filter(archived_at__isnull=True)


class Client(TimestampedModel, ArchivableModel):
    visibility_path = "curator"

    kind = models.CharField(_("kind"), max_length=20, choices=ClientKind.choices, default=ClientKind.PERSON)
    status = models.CharField(_("status"), max_length=20, choices=ClientStatus.choices, default=ClientStatus.PROSPECT)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    middle_name = models.CharField(_("middle name"), max_length=150, blank=True)
    legal_name = models.CharField(_("legal name"), max_length=300, blank=True)
    # The name lists show and sort by: "last first middle" for persons, the legal name otherwise.
    display_name = models.CharField(_("name"), max_length=400, editable=False, db_index=True)
    tax_id = models.CharField(_("tax id"), max_length=20, blank=True, db_index=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True, db_index=True)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True)
    occupation = models.CharField(_("occupation"), max_length=200, blank=True)
    position = models.CharField(_("position"), max_length=200, blank=True)
    employer = models.CharField(_("employer"), max_length=300, blank=True)
    industry = models.CharField(_("industry"), max_length=200, blank=True)
    region = models.CharField(_("region"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=200, blank=True, db_index=True)
    district = models.CharField(_("district"), max_length=200, blank=True)
    preferred_channel = models.CharField(_("preferred channel"), max_length=20, choices=Channel.choices, blank=True)
    preferred_language = models.CharField(_("preferred language"), max_length=10, choices=settings.LANGUAGES, blank=True)
    consent_phone = models.BooleanField(_("consents to marketing calls"), default=False)
    consent_sms = models.BooleanField(_("consents to marketing SMS"), default=False)
    consent_email = models.BooleanField(_("consents to marketing email"), default=False)
    consent_post = models.BooleanField(_("consents to marketing post"), default=False)
    consent_messenger = models.BooleanField(_("consents to marketing messages"), default=False)
    acquisition_source = models.CharField(_("acquisition source"), max_length=20, choices=AcquisitionSource.choices, blank=True)
    referred_by = models.ForeignKey(
        "self", verbose_name=_("referred by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="referrals",
    )
    curator = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("curator"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="curated_clients",
    )
    notes = models.TextField(_("notes"), blank=True)
    is_blacklisted = models.BooleanField(_("blacklisted"), default=False, db_index=True)
    blacklist_reason = models.CharField(_("blacklist reason"), max_length=500, blank=True)
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="clients")
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="merged_clients", editable=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", editable=False,
    )
    history = ChangeHistory(m2m_fields=[tags], excluded_fields=["display_name", "updated_at"])

    objects = ClientQuerySet.as_manager()

    class Meta:
        ordering = ["display_name", "pk"]
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        permissions = [("export_client", _("Can export clients"))]
        indexes = [
            models.Index(fields=["curator", "display_name"], name="client_curator_name_idx"),
            models.Index(fields=["status", "display_name"], name="client_status_name_idx"),
            # The list's usual question, "clients in this city with this status", by name.
            models.Index(fields=["city", "status", "display_name"], name="client_live_city_idx",
                         condition=Q(archived_at__isnull=True)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ClientKind.values), name="client_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(merged_into=models.F("pk")), name="client_not_merged_into_self"
            ),
        ]

    def __str__(self):
        return self.display_name

    @property
    def is_person(self) -> bool:
        return self.kind == ClientKind.PERSON

    def compose_display_name(self) -> str:
        if self.kind == ClientKind.ORGANISATION:
            return self.legal_name.strip()
        return person_name(self.last_name, self.first_name, self.middle_name)

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("clients:client", args=[self.pk])


class ClientSearchToken(models.Model):
    """One searchable word of a client's name (and every suffix of a Chinese name).

    Name search is a prefix range scan on this table's index, the same on SQLite and PostgreSQL.
    """

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="search_tokens")
    token = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["token", "client"], name="client_search_token_idx")]

    def __str__(self):
        return self.token


class ContactPointQuerySet(VisibleQuerySet):
    pass


class ContactPoint(TimestampedModel):
    visibility_path = "client__curator"

    is_primary = models.BooleanField(_("primary"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = ContactPointQuerySet.as_manager()

    class Meta:
        abstract = True


class Phone(ContactPoint):
    client = models.ForeignKey(Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="phones")
    kind = models.CharField(_("kind"), max_length=20, choices=PhoneKind.choices, default=PhoneKind.MOBILE)
    # E.164, so that an incoming call and a search in any format find the client.
    number = models.CharField(_("number"), max_length=20, db_index=True)
    extension = models.CharField(_("extension"), max_length=10, blank=True)
    history = ChangeHistory()

    class Meta:
        ordering = ["-is_primary", "pk"]
        verbose_name = _("phone")
        verbose_name_plural = _("phones")
        constraints = [
            models.UniqueConstraint(fields=["client", "number"], name="phone_unique_per_client"),
        ]

    def __str__(self):
        from policydesk.core.formatting import format_phone

        return format_phone(self.number)


class Email(ContactPoint):
    client = models.ForeignKey(Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="emails")
    kind = models.CharField(_("kind"), max_length=20, choices=EmailKind.choices, default=EmailKind.PERSONAL)
    address = models.EmailField(_("email"), max_length=254, db_index=True)
    history = ChangeHistory()

    class Meta:
        ordering = ["-is_primary", "pk"]
        verbose_name = _("email")
        verbose_name_plural = _("emails")
        constraints = [
            models.UniqueConstraint(fields=["client", "address"], name="email_unique_per_client"),
        ]

    def __str__(self):
        return self.address


class Address(ContactPoint):
    client = models.ForeignKey(Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(_("kind"), max_length=20, choices=AddressKind.choices, default=AddressKind.RESIDENCE)
    country = models.CharField(_("country"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=200, blank=True)
    district = models.CharField(_("district"), max_length=200, blank=True)
    street = models.CharField(_("street and house"), max_length=300, blank=True)
    apartment = models.CharField(_("apartment or office"), max_length=50, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    history = ChangeHistory()

    class Meta:
        ordering = ["-is_primary", "pk"]
        verbose_name = _("address")
        verbose_name_plural = _("addresses")

    def __str__(self):
        parts = [self.postal_code, self.country, self.region, self.city, self.district, self.street, self.apartment]
        return ", ".join(p for p in parts if p)


class MessengerId(ContactPoint):
    client = models.ForeignKey(Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="messengers")
    kind = models.CharField(_("messenger"), max_length=20, choices=MessengerKind.choices)
    handle = models.CharField(_("id or username"), max_length=200)
    history = ChangeHistory()

    class Meta:
        ordering = ["-is_primary", "pk"]
        verbose_name = _("messenger id")
        verbose_name_plural = _("messenger ids")
        constraints = [
            models.UniqueConstraint(fields=["client", "kind", "handle"], name="messenger_unique_per_client"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.handle}"


class ContactPerson(TimestampedModel):
    """A person client who speaks for an organisation client, in a role."""

    visibility_path = "organisation__curator"

    organisation = models.ForeignKey(
        Client, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="contact_persons"
    )
    person = models.ForeignKey(
        Client, verbose_name=_("person"), on_delete=models.CASCADE, related_name="represents"
    )
    role = models.CharField(_("role"), max_length=200, blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)
    history = ChangeHistory()

    objects = VisibleQuerySet.as_manager()

    class Meta:
        ordering = ["-is_primary", "pk"]
        verbose_name = _("contact person")
        verbose_name_plural = _("contact persons")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "person"], name="contact_person_unique"),
            models.CheckConstraint(condition=~Q(organisation=models.F("person")), name="contact_person_not_self"),
        ]

    def __str__(self):
        return f"{self.person} ({self.role})" if self.role else str(self.person)


class Relationship(TimestampedModel):
    """``to_client`` is ``from_client``'s ``kind`` (B is A's child); B's card reads the inverse (A is B's parent)."""

    visibility_path = "from_client__curator"

    from_client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="relationships_from"
    )
    to_client = models.ForeignKey(
        Client, verbose_name=_("related client"), on_delete=models.CASCADE, related_name="relationships_to"
    )
    kind = models.CharField(_("relationship"), max_length=20, choices=RelationshipKind.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    history = ChangeHistory()

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("relationship")
        verbose_name_plural = _("relationships")
        constraints = [
            models.UniqueConstraint(fields=["from_client", "to_client", "kind"], name="relationship_unique"),
            models.CheckConstraint(condition=~Q(from_client=models.F("to_client")), name="relationship_not_self"),
        ]

    def __str__(self):
        return f"{self.from_client} — {self.get_kind_display()} — {self.to_client}"


class ClientGroup(TimestampedModel):
    """A named set of clients: company-wide, a department's, or a user's personal group."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=GroupKind.choices, default=GroupKind.PERSONAL)
    department = models.ForeignKey(
        "accounts.Department", verbose_name=_("department"), null=True, blank=True, on_delete=models.CASCADE
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="client_groups",
    )
    members = models.ManyToManyField(Client, verbose_name=_("members"), blank=True, related_name="client_groups")
    history = ChangeHistory(m2m_fields=[members])

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("client group")
        verbose_name_plural = _("client groups")

    def __str__(self):
        return self.name


class CuratorAssignment(models.Model):
    """The history of curators: one row per period a user curated the client."""

    visibility_path = "client__curator"

    client = models.ForeignKey(Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="curator_assignments")
    curator = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("curator"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assigned by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(_("from"), auto_now_add=True)
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("curator assignment")
        verbose_name_plural = _("curator assignments")

    def __str__(self):
        return f"{self.client_id}: {self.curator}"


class CustomField(TimestampedModel):
    name = models.SlugField(_("key"), max_length=50, unique=True, help_text=_("Letters, digits and underscores; used in the API."))
    label = models.CharField(_("label"), max_length=200)
    field_type = models.CharField(_("type"), max_length=20, choices=CustomFieldType.choices, default=CustomFieldType.TEXT)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    applies_to = models.CharField(_("applies to"), max_length=20, choices=AppliesTo.choices, default=AppliesTo.ALL)
    show_in_list = models.BooleanField(_("column available in the client list"), default=True)
    weight = models.PositiveSmallIntegerField(_("order"), default=100)
    history = ChangeHistory()

    class Meta:
        ordering = ["weight", "name"]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")

    def __str__(self):
        return self.label

    def applies_to_kind(self, kind: str) -> bool:
        return self.applies_to in (AppliesTo.ALL, kind)


class RegistrationRule(TimestampedModel):
    """A standard client field that must be filled in when a client of ``kind`` is saved."""

    kind = models.CharField(_("client kind"), max_length=20, choices=ClientKind.choices)
    field_name = models.CharField(_("field"), max_length=50)
    history = ChangeHistory()

    class Meta:
        ordering = ["kind", "field_name"]
        verbose_name = _("registration rule")
        verbose_name_plural = _("registration rules")
        constraints = [models.UniqueConstraint(fields=["kind", "field_name"], name="registration_rule_unique")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.field_name}"


class ClientMerge(models.Model):
    """A record of one merge: which client was merged into which, by whom, and what moved."""

    visibility_path = "survivor__curator"

    survivor = models.ForeignKey(Client, verbose_name=_("kept client"), on_delete=models.PROTECT, related_name="merges")
    merged = models.ForeignKey(Client, verbose_name=_("merged client"), on_delete=models.PROTECT, related_name="+")
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("merged by"), null=True, on_delete=models.SET_NULL, related_name="+")
    merged_at = models.DateTimeField(_("merged at"), auto_now_add=True)
    summary = models.JSONField(_("what moved"), default=dict)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        ordering = ["-merged_at"]
        verbose_name = _("client merge")
        verbose_name_plural = _("client merges")

    def __str__(self):
        return f"{self.merged_id} → {self.survivor_id}"
