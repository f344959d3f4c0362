"""Every write to clients: create, update, contact points, curators, bulk actions, merge."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.core.errors import ApplicationError
from policydesk.core.services import service
from policydesk.core.taxid import normalize_tax_id, tax_id_error
from policydesk.core.text import name_tokens, normalize_phone

from .choices import ClientKind, ClientStatus
from .models import (
    Address,
    Client,
    ClientGroup,
    ClientMerge,
    ClientSearchToken,
    ContactPerson,
    CuratorAssignment,
    Email,
    MessengerId,
    Phone,
    Relationship,
    Tag,
)
from .selectors import find_duplicates
from .signals import clients_reassigned
from .validation import clean_custom_fields, required_fields

CLIENT_FIELDS = [
    "kind", "status", "last_name", "first_name", "middle_name", "legal_name", "tax_id", "birth_date", "gender",
    "occupation", "position", "employer", "industry", "region", "city", "district", "preferred_channel",
    "preferred_language", "consent_phone", "consent_sms", "consent_email", "consent_post", "consent_messenger",
    "acquisition_source", "referred_by", "notes", "is_blacklisted", "blacklist_reason",
]


def refresh_search_tokens(client: Client) -> None:
    wanted = name_tokens(client.display_name, client.legal_name)
    existing = set(client.search_tokens.values_list("token", flat=True))
    client.search_tokens.filter(token__in=existing - wanted).delete()
    ClientSearchToken.objects.bulk_create(ClientSearchToken(client=client, token=t) for t in wanted - existing)


def _normalize_phones(phones: list[dict]) -> tuple[list[dict], dict]:
    cleaned, errors = [], {}
    for index, item in enumerate(phones):
        try:
            number = normalize_phone(item.get("number", ""))
        except ValueError:
            errors[f"phones.{index}.number"] = [
                _("“%(value)s” is not a valid phone number.") % {"value": item.get("number", "")}
            ]
            continue
        cleaned.append({**item, "number": number})
    return cleaned, errors


def _check_required(client: Client, *, phones, emails, addresses, contact_persons: int | None = None) -> dict:
    errors: dict = {}
    has = {"phone": bool(phones), "email": bool(emails), "address": bool(addresses)}
    if contact_persons is not None:
        has["contact_person"] = contact_persons > 0
    for name in required_fields(client.kind):
        if name == "contact_person" and contact_persons is None:
            # An organisation gets its contact persons on its card once it exists; the rule applies
            # from then on (edits, and removing the last contact person).
            continue
        if name in has:
            if not has[name]:
                errors[name] = [_("At least one is required.")]
        elif getattr(client, name, None) in (None, ""):
            errors[name] = [_("This field is required.")]
    return errors


def _validate(client: Client, *, phones, emails, addresses, custom_fields, partial_contacts=False,
              contact_persons: int | None = None) -> dict:
    errors: dict = {}
    try:
        client.full_clean(exclude=["display_name", "curator", "custom_fields"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if client.is_blacklisted and not client.blacklist_reason.strip():
        errors.setdefault("blacklist_reason", []).append(_("Say why the client is blacklisted."))
    client.tax_id = normalize_tax_id(client.tax_id)
    tax_error = tax_id_error(client.tax_id, kind=client.kind, country=settings.AGENCY_COUNTRY)
    if tax_error:
        errors.setdefault("tax_id", []).append(tax_error)
    if client.birth_date and client.birth_date > timezone.localdate():
        errors.setdefault("birth_date", []).append(_("The birth date is in the future."))
    cleaned_custom, custom_errors = clean_custom_fields(client.kind, custom_fields)
    errors.update({f"custom_fields.{k}": v for k, v in custom_errors.items()})
    client.custom_fields = cleaned_custom
    if not partial_contacts:
        errors.update(_check_required(client, phones=phones, emails=emails, addresses=addresses,
                                      contact_persons=contact_persons))
    return errors


def _duplicate_error(duplicates) -> ApplicationError:
    items = [d.as_dict(reverse("clients:client", args=[d.client.pk]) if d.visible else None) for d in duplicates]
    return ApplicationError(
        _("This client may already be registered."),
        errors={"duplicates": [
            (f"{i['name']}: {i['reason']}" if i["name"] else _("%(reason)s (a client outside your scope)") % i)
            for i in items
        ]},
        extra={"duplicates": items},
    )


def _replace_contact_points(client: Client, model, rows: list[dict], key: str) -> None:
    """Make the client's contact points of ``model`` exactly ``rows``, keeping rows that stay."""
    existing = {getattr(obj, key): obj for obj in model.objects.filter(client=client)}
    seen = set()
    for index, row in enumerate(rows):
        value = row[key]
        if value in seen:
            continue
        seen.add(value)
        obj = existing.pop(value, None) or model(client=client)
        for field, field_value in row.items():
            setattr(obj, field, field_value)
        if index == 0 and not any(r.get("is_primary") for r in rows):
            obj.is_primary = True
        obj.full_clean(exclude=["client"])
        obj.save()
    for obj in existing.values():
        obj.delete()


def _write_contacts(client, *, phones, emails, addresses, messengers):
    if phones is not None:
        _replace_contact_points(client, Phone, phones, "number")
    if emails is not None:
        _replace_contact_points(client, Email, [{**e, "address": e["address"].strip().lower()} for e in emails], "address")
    if addresses is not None:
        for address in client.addresses.all():
            address.delete()
        for index, row in enumerate(addresses):
            obj = Address(client=client, **row)
            obj.is_primary = obj.is_primary or index == 0
            obj.full_clean(exclude=["client"])
            obj.save()
    if messengers is not None:
        _replace_contact_points(
            client, MessengerId, [{**m, "handle": m["handle"].strip()} for m in messengers], "handle"
        )


@service
def client_create(
    *,
    actor,
    data: dict,
    phones: list[dict] = (),
    emails: list[dict] = (),
    addresses: list[dict] = (),
    messengers: list[dict] = (),
    tags: list[Tag] = (),
    custom_fields: dict | None = None,
    curator=None,
    confirm_duplicates: bool = False,
) -> Client:
    """Register a client. Duplicates stop the creation unless ``confirm_duplicates`` is set."""
    client = Client(**{k: v for k, v in data.items() if k in CLIENT_FIELDS})
    client.display_name = client.compose_display_name()
    client.created_by = actor if getattr(actor, "pk", None) else None
    phones, errors = _normalize_phones(list(phones))
    errors.update(_validate(client, phones=phones, emails=emails, addresses=addresses,
                            custom_fields=custom_fields or {}))
    if errors:
        raise ApplicationError(_("Please correct the errors below."), errors=errors)
    if not confirm_duplicates:
        duplicates = find_duplicates(
            user=actor, kind=client.kind, phones=[p["number"] for p in phones],
            emails=[e["address"] for e in emails], tax_id=client.tax_id, last_name=client.last_name,
            first_name=client.first_name, middle_name=client.middle_name, legal_name=client.legal_name,
            birth_date=client.birth_date,
        )
        if duplicates:
            raise _duplicate_error(duplicates)
    client.curator = curator if curator is not None else (actor if getattr(actor, "pk", None) else None)
    client.save()
    if tags:
        client.tags.set(tags)
    _write_contacts(client, phones=phones, emails=emails, addresses=addresses, messengers=messengers)
    refresh_search_tokens(client)
    if client.curator_id:
        CuratorAssignment.objects.create(client=client, curator=client.curator, assigned_by=client.created_by)
    return client


@service
def client_update(
    *,
    actor,
    client: Client,
    data: dict,
    phones: list[dict] | None = None,
    emails: list[dict] | None = None,
    addresses: list[dict] | None = None,
    messengers: list[dict] | None = None,
    tags: list[Tag] | None = None,
    custom_fields: dict | None = None,
) -> Client:
    """Change a client. Contact point lists that are given replace the client's; None keeps them."""
    client = Client.objects.select_for_update().get(pk=client.pk)
    for key, value in data.items():
        if key in CLIENT_FIELDS:
            setattr(client, key, value)
    client.display_name = client.compose_display_name()
    errors: dict = {}
    if phones is not None:
        phones, errors = _normalize_phones(list(phones))
    merged_custom = dict(client.custom_fields)
    if custom_fields is not None:
        merged_custom.update(custom_fields)
    errors.update(_validate(
        client,
        phones=phones if phones is not None else list(client.phones.all()),
        emails=emails if emails is not None else list(client.emails.all()),
        addresses=addresses if addresses is not None else list(client.addresses.all()),
        custom_fields=merged_custom,
        contact_persons=client.contact_persons.count() if client.kind == ClientKind.ORGANISATION else None,
    ))
    if errors:
        raise ApplicationError(_("Please correct the errors below."), errors=errors)
    client.save()
    if tags is not None:
        client.tags.set(tags)
    _write_contacts(client, phones=phones, emails=emails, addresses=addresses, messengers=messengers)
    refresh_search_tokens(client)
    return client


@service
def client_archive(*, actor, client: Client) -> Client:
    if client.archived_at is None:
        client.archived_at = timezone.now()
        client.save(update_fields=["archived_at", "updated_at"])
    return client


@service
def client_restore(*, actor, client: Client) -> Client:
    if client.archived_at is not None and client.merged_into_id is None:
        client.archived_at = None
        client.save(update_fields=["archived_at", "updated_at"])
    return client


def _assign(client: Client, curator, actor) -> bool:
    if client.curator_id == getattr(curator, "pk", None):
        return False
    now = timezone.now()
    CuratorAssignment.objects.filter(client=client, ended_at__isnull=True).update(ended_at=now)
    client.curator = curator
    client.save(update_fields=["curator", "updated_at"])
    if curator is not None:
        CuratorAssignment.objects.create(client=client, curator=curator, assigned_by=actor)
    clients_reassigned.send(sender=Client, client_ids=[client.pk])
    return True


@service
def client_assign_curator(*, actor, client: Client, curator) -> Client:
    if curator is not None and not curator.is_active:
        raise ApplicationError(_("An inactive user cannot curate clients."), errors={"curator": [_("Choose an active user.")]})
    _assign(client, curator, actor)
    return client


@service
def clients_assign_curator(*, actor, clients, curator) -> int:
    if curator is None or not curator.is_active:
        raise ApplicationError(_("An inactive user cannot curate clients."), errors={"curator": [_("Choose an active user.")]})
    return sum(_assign(client, curator, actor) for client in clients.select_for_update())


@service
def clients_tag(*, actor, clients, tag: Tag) -> int:
    count = 0
    for client in clients:
        if not client.tags.filter(pk=tag.pk).exists():
            client.tags.add(tag)
            count += 1
    return count


@service
def clients_untag(*, actor, clients, tag: Tag) -> int:
    count = 0
    for client in clients.filter(tags=tag):
        client.tags.remove(tag)
        count += 1
    return count


@service
def clients_add_to_group(*, actor, clients, group: ClientGroup) -> int:
    before = group.members.count()
    group.members.add(*clients)
    return group.members.count() - before


@service
def clients_remove_from_group(*, actor, clients, group: ClientGroup) -> int:
    before = group.members.count()
    group.members.remove(*clients)
    return before - group.members.count()


@service
def relationship_add(*, actor, from_client: Client, to_client: Client, kind: str, note: str = "") -> Relationship:
    if from_client.pk == to_client.pk:
        raise ApplicationError(_("A client cannot be related to itself."), errors={"to_client": [_("Choose another client.")]})
    relationship = Relationship(from_client=from_client, to_client=to_client, kind=kind, note=note)
    try:
        relationship.full_clean()
    except ValidationError as exc:
        raise ApplicationError(_("Please correct the errors below."), errors=exc.message_dict) from None
    relationship.save()
    return relationship


@service
def relationship_remove(*, actor, relationship: Relationship) -> None:
    relationship.delete()


@service
def contact_person_add(*, actor, organisation: Client, person: Client, role: str = "", is_primary: bool = False) -> ContactPerson:
    if organisation.kind != ClientKind.ORGANISATION:
        raise ApplicationError(_("Contact persons belong to organisations."))
    if person.kind != ClientKind.PERSON:
        raise ApplicationError(_("A contact person must be a person."), errors={"person": [_("Choose a person.")]})
    contact = ContactPerson(organisation=organisation, person=person, role=role, is_primary=is_primary)
    try:
        contact.full_clean()
    except ValidationError as exc:
        raise ApplicationError(_("Please correct the errors below."), errors=exc.message_dict) from None
    contact.save()
    return contact


@service
def contact_person_remove(*, actor, contact: ContactPerson) -> None:
    organisation = Client.objects.select_for_update().get(pk=contact.organisation_id)
    if ("contact_person" in required_fields(organisation.kind)
            and not organisation.contact_persons.exclude(pk=contact.pk).exists()):
        raise ApplicationError(_("The registration rules require at least one contact person; "
                                 "add another before removing this one."))
    contact.delete()


# --- Merge -----------------------------------------------------------------------------------

_STATUS_RANK = {ClientStatus.PROSPECT: 0, ClientStatus.FORMER: 1, ClientStatus.CLIENT: 2}
_MERGE_SKIP = {ClientSearchToken, CuratorAssignment}


def _move_rows(model, field_name: str, survivor: Client, merged: Client) -> tuple[int, int]:
    """Point every row of ``model`` from ``merged`` to ``survivor``. Rows that would duplicate one
    the survivor already has (a unique constraint says so), or point a client at itself, are the
    same fact twice: they are removed, and the change history keeps them."""
    rows = model._default_manager.filter(**{field_name: merged})
    try:
        with transaction.atomic():
            return rows.update(**{field_name: survivor}), 0
    except IntegrityError:
        pass
    moved = dropped = 0
    for row in rows:
        try:
            with transaction.atomic():
                setattr(row, field_name, survivor)
                row.save(update_fields=[field_name])
                moved += 1
        except IntegrityError:
            model._default_manager.filter(pk=row.pk).delete()
            dropped += 1
    return moved, dropped


@service
def client_merge(*, actor, survivor: Client, merged: Client) -> ClientMerge:
    """Merge ``merged`` into ``survivor``: every related record moves, empty fields are filled,
    and ``merged`` is archived with a pointer to the survivor (never deleted)."""
    if survivor.pk == merged.pk:
        raise ApplicationError(_("Choose two different clients to merge."))
    survivor = Client.objects.select_for_update().get(pk=survivor.pk)
    merged = Client.objects.select_for_update().get(pk=merged.pk)
    if merged.merged_into_id:
        raise ApplicationError(_("This client has already been merged into another."))
    if survivor.merged_into_id:
        raise ApplicationError(_("The client to keep has itself been merged into another; merge into that one."))
    if survivor.archived_at:
        raise ApplicationError(_("The client to keep is archived; restore it first."))
    if survivor.kind != merged.kind:
        raise ApplicationError(_("A person cannot be merged with an organisation."))
    summary: dict = {"fields": {}, "moved": {}, "dropped_duplicates": {}}
    for name in CLIENT_FIELDS:
        mine, theirs = getattr(survivor, name), getattr(merged, name)
        if mine in (None, "") and theirs not in (None, ""):
            setattr(survivor, name, theirs)
            summary["fields"][name] = str(theirs)
    if _STATUS_RANK.get(merged.status, 0) > _STATUS_RANK.get(survivor.status, 0):
        survivor.status = merged.status
    if merged.is_blacklisted and not survivor.is_blacklisted:
        survivor.is_blacklisted = True
        survivor.blacklist_reason = merged.blacklist_reason
    if merged.notes and merged.notes not in survivor.notes:
        survivor.notes = (survivor.notes + "\n\n" + merged.notes).strip()
    for key, value in merged.custom_fields.items():
        survivor.custom_fields.setdefault(key, value)
    survivor.display_name = survivor.compose_display_name()
    survivor._change_reason = f"merged client #{merged.pk} ({merged.display_name})"
    survivor.save()

    for relation in Client._meta.related_objects:
        model = relation.related_model
        if relation.many_to_many or model in _MERGE_SKIP or model is ClientMerge:
            continue
        moved, dropped = _move_rows(model, relation.field.name, survivor, merged)
        label = f"{model._meta.label_lower}.{relation.field.name}"
        if moved:
            summary["moved"][label] = moved
        if dropped:
            summary["dropped_duplicates"][label] = dropped
    CuratorAssignment.objects.filter(client=merged).update(client=survivor)
    clients_reassigned.send(sender=Client, client_ids=[survivor.pk])
    survivor.tags.add(*merged.tags.all())
    for group in merged.client_groups.all():
        group.members.add(survivor)
    if not survivor.phones.filter(is_primary=True).exists() and survivor.phones.exists():
        survivor.phones.filter(pk=survivor.phones.first().pk).update(is_primary=True)

    merged.merged_into = survivor
    merged.archived_at = timezone.now()
    merged._change_reason = f"merged into client #{survivor.pk} ({survivor.display_name})"
    merged.save()
    merged.search_tokens.all().delete()
    refresh_search_tokens(survivor)
    return ClientMerge.objects.create(survivor=survivor, merged=merged, merged_by=actor if getattr(actor, "pk", None) else None, summary=summary)


def contact_point_model(kind: str) -> type[models.Model]:
    return {"phones": Phone, "emails": Email, "addresses": Address, "messengers": MessengerId}[kind]


@service
def contact_point_save(*, actor, instance, data: dict):
    """Create or change one phone, email, address or messenger id of a client."""
    for key, value in data.items():
        setattr(instance, key, value)
    errors = {}
    if isinstance(instance, Phone):
        try:
            instance.number = normalize_phone(instance.number)
        except ValueError:
            errors["number"] = [_("“%(value)s” is not a valid phone number.") % {"value": instance.number}]
    if isinstance(instance, Email):
        instance.address = (instance.address or "").strip().lower()
    if not errors:
        try:
            instance.full_clean()
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ApplicationError(_("Please correct the errors below."), errors=errors)
    if instance.is_primary:
        type(instance).objects.filter(client=instance.client, is_primary=True).exclude(pk=instance.pk).update(is_primary=False)
    instance.save()
    return instance


@service
def contact_point_delete(*, actor, instance) -> None:
    instance.delete()
