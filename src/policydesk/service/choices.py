"""Choices of service requests and the knowledge base."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class RequestKind(models.TextChoices):
    INQUIRY = "inquiry", _("inquiry")
    REQUEST = "request", pgettext_lazy("kind of service request", "request")
    COMPLAINT = "complaint", _("complaint")
    LETTER = "letter", _("incoming letter")


class Channel(models.TextChoices):
    PHONE = "phone", _("phone")
    EMAIL = "email", _("email")
    VISIT = "visit", _("visit")
    WEB = "web", _("web")
    LETTER = "letter", _("letter")


class RequestStatus(models.TextChoices):
    REGISTERED = "registered", pgettext_lazy("request status", "registered")
    VERIFIED = "verified", pgettext_lazy("request status", "verified")
    ASSIGNED = "assigned", pgettext_lazy("request status", "assigned")
    IN_PROGRESS = "in_progress", pgettext_lazy("request status", "in progress")
    RESOLVED = "resolved", pgettext_lazy("request status", "resolved")
    CLOSED = "closed", pgettext_lazy("request status", "closed")


OPEN_STATUSES = (RequestStatus.REGISTERED, RequestStatus.VERIFIED, RequestStatus.ASSIGNED, RequestStatus.IN_PROGRESS)


class StepKind(models.TextChoices):
    REGISTERED = "registered", pgettext_lazy("request step", "registered")
    VERIFIED = "verified", pgettext_lazy("request step", "verified")
    ASSIGNED = "assigned", pgettext_lazy("request step", "assigned")
    TRANSFERRED = "transferred", pgettext_lazy("request step", "transferred")
    STARTED = "started", pgettext_lazy("request step", "processing started")
    NOTE = "note", pgettext_lazy("request step", "processing note")
    RESOLVED = "resolved", pgettext_lazy("request step", "resolved")
    CLOSED = "closed", pgettext_lazy("request step", "closed")
    ESCALATED = "escalated", pgettext_lazy("request step", "escalated")
    RATED = "rated", pgettext_lazy("request step", "satisfaction recorded")
    CLIENT_TOLD = "client_told", pgettext_lazy("request step", "result sent to the client")
    ARTICLE = "article", pgettext_lazy("request step", "article linked")


class ReplyChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("email")


class ArticleKind(models.TextChoices):
    ARTICLE = "article", _("article")
    FAQ = "faq", _("FAQ entry")


# The languages of the knowledge base: those of the interface.
ARTICLE_LANGUAGES = [("en", "English"), ("ru", "Русский"), ("fa", "فارسی"), ("az", "Azərbaycan"),
                     ("zh-hans", "简体中文")]
