from django.db import models
from django.utils.translation import gettext_lazy as _


class ClientKind(models.TextChoices):
    PERSON = "person", _("person")
    ORGANISATION = "organisation", _("organisation")


class ClientStatus(models.TextChoices):
    PROSPECT = "prospect", _("prospect")
    CLIENT = "client", _("client")
    FORMER = "former", _("former client")


class Gender(models.TextChoices):
    FEMALE = "female", _("female")
    MALE = "male", _("male")


class Channel(models.TextChoices):
    PHONE = "phone", _("phone")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("email")
    POST = "post", _("post")
    MESSENGER = "messenger", _("messenger")


class AcquisitionSource(models.TextChoices):
    REFERRAL = "referral", _("referral")
    WARM = "warm", _("warm contact")
    COLD = "cold", _("cold contact")
    WEB = "web", _("web")
    PARTNER = "partner", _("partner")
    CAMPAIGN = "campaign", _("campaign")
    WALK_IN = "walk_in", _("walk-in")
    TRANSFER = "transfer", _("transfer from the core insurance system")


class PhoneKind(models.TextChoices):
    MOBILE = "mobile", _("mobile")
    WORK = "work", _("work")
    HOME = "home", _("home")
    FAX = "fax", _("fax")


class EmailKind(models.TextChoices):
    PERSONAL = "personal", _("personal")
    WORK = "work", _("work")


class AddressKind(models.TextChoices):
    REGISTRATION = "registration", _("registration")
    RESIDENCE = "residence", _("residence")
    DELIVERY = "delivery", _("delivery")
    OFFICE = "office", _("office")


class MessengerKind(models.TextChoices):
    TELEGRAM = "telegram", _("Telegram")
    WHATSAPP = "whatsapp", _("WhatsApp")
    VIBER = "viber", _("Viber")
    WECHAT = "wechat", _("WeChat")
    SIGNAL = "signal", _("Signal")
    OTHER = "other", _("other")


class RelationshipKind(models.TextChoices):
    SPOUSE = "spouse", _("spouse")
    PARENT = "parent", _("parent")
    CHILD = "child", _("child")
    SIBLING = "sibling", _("sibling")
    EMPLOYER = "employer", _("employer")
    EMPLOYEE = "employee", _("employee")
    FRIEND = "friend", _("friend")
    REFERRED_BY = "referred_by", _("referred by")
    REFERRED = "referred", _("referred")
    OTHER = "other", _("other")


# Read from the other client's side, "A is parent of B" is "B is child of A".
INVERSE_RELATIONSHIP = {
    RelationshipKind.SPOUSE: RelationshipKind.SPOUSE,
    RelationshipKind.PARENT: RelationshipKind.CHILD,
    RelationshipKind.CHILD: RelationshipKind.PARENT,
    RelationshipKind.SIBLING: RelationshipKind.SIBLING,
    RelationshipKind.EMPLOYER: RelationshipKind.EMPLOYEE,
    RelationshipKind.EMPLOYEE: RelationshipKind.EMPLOYER,
    RelationshipKind.FRIEND: RelationshipKind.FRIEND,
    RelationshipKind.REFERRED_BY: RelationshipKind.REFERRED,
    RelationshipKind.REFERRED: RelationshipKind.REFERRED_BY,
    RelationshipKind.OTHER: RelationshipKind.OTHER,
}


class GroupKind(models.TextChoices):
    COMPANY = "company", _("company-wide")
    DEPARTMENT = "department", _("department")
    PERSONAL = "personal", _("personal")


class CustomFieldType(models.TextChoices):
    TEXT = "text", _("text")
    NUMBER = "number", _("number")
    DATE = "date", _("date")
    CHOICE = "choice", _("choice")


class AppliesTo(models.TextChoices):
    ALL = "all", _("persons and organisations")
    PERSON = "person", _("persons")
    ORGANISATION = "organisation", _("organisations")
