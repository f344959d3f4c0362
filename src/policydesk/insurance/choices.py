from django.db import models
from django.utils.translation import gettext_lazy as _


class ObjectKind(models.TextChoices):
    VEHICLE = "vehicle", _("vehicle")
    REAL_ESTATE = "real_estate", _("real estate")
    PERSON = "person", _("person")
    CARGO = "cargo", _("cargo")
    OTHER = "other", _("other object")


class ConstructionType(models.TextChoices):
    BRICK = "brick", _("brick")
    CONCRETE = "concrete", _("concrete")
    WOOD = "wood", _("wood")
    MIXED = "mixed", _("mixed")
    OTHER = "other", _("other")


class PolicyState(models.TextChoices):
    """What is stored. The status a user sees (PolicyStatus) follows from it, the dates and renewals."""

    DRAFT = "draft", _("draft")
    ISSUED = "issued", _("issued")
    CANCELLED = "cancelled", _("cancelled")


class PolicyStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    INCOMPLETE = "incomplete", _("incomplete")
    ACTIVE = "active", _("active")
    EXPIRED = "expired", _("expired")
    RENEWED = "renewed", _("renewed")
    CANCELLED = "cancelled", _("cancelled")


class SalesChannel(models.TextChoices):
    OFFICE = "office", _("office")
    AGENT = "agent", _("agent")
    PHONE = "phone", _("phone")
    WEB = "web", _("web")
    PARTNER = "partner", _("partner")
    BROKER = "broker", _("broker")


class DeliveryMethod(models.TextChoices):
    IN_PERSON = "in_person", _("in person")
    POST = "post", _("post")
    COURIER = "courier", _("courier")
    AGENCY_COURIER = "agency_courier", _("agency courier")
    ELECTRONIC = "electronic", _("electronic")


class CancelReason(models.TextChoices):
    CLIENT_REQUEST = "client_request", _("at the client's request")
    NON_PAYMENT = "non_payment", _("non-payment")
    SOLD_OBJECT = "sold_object", _("the insured object was sold")
    INSURER = "insurer", _("by the insurer")
    ERROR = "error", _("entered in error")
    OTHER = "other", _("other")


# Policy fields a product can make mandatory (a policy missing one is "incomplete").
REQUIRABLE_POLICY_FIELDS = {
    "number": _("policy number"),
    "series": _("series"),
    "issue_date": _("issue date"),
    "sum_insured": _("sum insured"),
    "premium": _("premium"),
    "insured_object": _("insured object"),
    "insured_person": _("insured person"),
    "beneficiary": _("beneficiary"),
    "manager": _("manager"),
    "sales_channel": _("sales channel"),
    "delivery_method": _("delivery method"),
}
