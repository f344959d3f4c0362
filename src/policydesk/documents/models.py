"""Print templates: an administrator's own version of a shipped document template."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from policydesk.core.history import ChangeHistory
from policydesk.core.models import TimestampedModel

from .choices import DocumentKind


class PrintTemplate(TimestampedModel):
    """The HTML (Django template syntax) a document of ``kind`` is printed from, in one language or in any.

    Without an active row for a kind and language the shipped default is used.
    """

    kind = models.CharField(_("document"), max_length=40, choices=DocumentKind.choices)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, blank=True,
                                help_text=_("Leave empty to use this template for every language."))
    name = models.CharField(_("name"), max_length=200)
    body = models.TextField(
        _("template"),
        help_text=_("HTML with Django template tags, for example {{ policy.number }} or {% translate \"Premium\" %}."))
    is_active = models.BooleanField(_("in use"), default=True)
    history = ChangeHistory()

    class Meta:
        ordering = ["kind", "language", "name"]
        verbose_name = _("print template")
        verbose_name_plural = _("print templates")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=DocumentKind.values), name="printtemplate_kind_valid"),
            # One template in use per document and language, so that which one prints is never a guess.
            models.UniqueConstraint(fields=["kind", "language"], condition=Q(is_active=True),
                                    name="printtemplate_one_active_per_language",
                                    violation_error_message=_("Another template for this document and language is "
                                                              "already in use: take it out of use first.")),
        ]

    def __str__(self):
        return self.name
