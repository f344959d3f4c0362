from django.db import models
from django.utils.translation import gettext_lazy as _


class ManagerLevel(models.TextChoices):
    JUNIOR = "junior", _("junior")
    REGULAR = "regular", _("regular")
    SENIOR = "senior", _("senior")
    LEAD = "lead", _("lead")
    PRINCIPAL = "principal", _("principal")


class Calendar(models.TextChoices):
    GREGORIAN = "gregorian", _("Gregorian")
    JALALI = "jalali", _("Persian (Jalali)")


class Scope(models.TextChoices):
    OWN = "own", _("own clients")
    DEPARTMENT = "department", _("department and subordinates")
    ALL = "all", _("all clients")


class Role(models.TextChoices):
    """The built-in roles; each is a Django group with permissions and a visibility scope."""

    AGENT = "agent", _("Agent")
    TEAM_LEAD = "team_lead", _("Team lead")
    MARKETING = "marketing", _("Marketing")
    SERVICE_OPERATOR = "service_operator", _("Service operator")
    CLAIMS_HANDLER = "claims_handler", _("Claims handler")
    ACCOUNTANT = "accountant", _("Accountant")
    ADMINISTRATOR = "administrator", _("Administrator")
    AUDITOR = "auditor", _("Auditor")
