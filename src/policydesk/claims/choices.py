from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ClaimStatus(models.TextChoices):
    REPORTED = "reported", pgettext_lazy("claim status", "reported")
    COLLECTING_DOCUMENTS = "collecting_documents", pgettext_lazy("claim status", "collecting documents")
    UNDER_REVIEW = "under_review", pgettext_lazy("claim status", "under review")
    APPROVED = "approved", pgettext_lazy("claim status", "approved")
    PAID = "paid", pgettext_lazy("claim status", "paid")
    REFUSED = "refused", pgettext_lazy("claim status", "refused")
    CLOSED = "closed", pgettext_lazy("claim status", "closed")


# The status machine: where each status may go by a plain transition. Approval, payouts and refusal
# have their own services (they need an amount or a reason) and are listed here too, so that the
# one table says what is allowed; "paid" is reached only by payouts that cover the approved amount.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    ClaimStatus.REPORTED: (ClaimStatus.COLLECTING_DOCUMENTS, ClaimStatus.UNDER_REVIEW, ClaimStatus.REFUSED),
    ClaimStatus.COLLECTING_DOCUMENTS: (ClaimStatus.UNDER_REVIEW, ClaimStatus.REFUSED),
    ClaimStatus.UNDER_REVIEW: (ClaimStatus.COLLECTING_DOCUMENTS, ClaimStatus.APPROVED, ClaimStatus.REFUSED),
    ClaimStatus.APPROVED: (ClaimStatus.PAID,),
    ClaimStatus.PAID: (ClaimStatus.CLOSED,),
    ClaimStatus.REFUSED: (ClaimStatus.CLOSED,),
    ClaimStatus.CLOSED: (),
}
# Statuses in which a claim is still open: its reserve is outstanding, its details may change.
OPEN_STATUSES = (ClaimStatus.REPORTED, ClaimStatus.COLLECTING_DOCUMENTS, ClaimStatus.UNDER_REVIEW,
                 ClaimStatus.APPROVED)
# Statuses in which documents are still being collected (the ageing job chases these).
COLLECTING_STATUSES = (ClaimStatus.REPORTED, ClaimStatus.COLLECTING_DOCUMENTS)

STATUS_COLOURS = {
    ClaimStatus.REPORTED: "info", ClaimStatus.COLLECTING_DOCUMENTS: "warning", ClaimStatus.UNDER_REVIEW: "primary",
    ClaimStatus.APPROVED: "success", ClaimStatus.PAID: "success", ClaimStatus.REFUSED: "danger",
    ClaimStatus.CLOSED: "secondary",
}


class ClaimKind(models.TextChoices):
    ACCIDENT = "accident", _("road accident")
    THEFT = "theft", _("theft")
    FIRE = "fire", _("fire")
    WATER = "water", _("water damage")
    NATURAL = "natural", _("natural disaster")
    ILLNESS = "illness", _("illness")
    INJURY = "injury", _("injury")
    DEATH = "death", _("death")
    LIABILITY = "liability", _("damage to others")
    TRAVEL = "travel", _("travel incident")
    CARGO = "cargo", _("cargo loss or damage")
    OTHER = "other", _("other")


class RefusalReason(models.TextChoices):
    NOT_COVERED = "not_covered", _("the event is not covered")
    EXCLUSION = "exclusion", _("an exclusion of the policy applies")
    DOCUMENTS = "documents", _("documents not provided")
    LATE = "late", _("reported too late")
    FRAUD = "fraud", _("suspected fraud")
    WITHDRAWN = "withdrawn", _("withdrawn by the client")
    OTHER = "other", _("other")


class StepKind(models.TextChoices):
    OPENED = "opened", pgettext_lazy("claim step", "opened")
    STATUS = "status", pgettext_lazy("claim step", "status changed")
    DOCUMENT = "document", pgettext_lazy("claim step", "document received")
    RESERVE = "reserve", pgettext_lazy("claim step", "reserve changed")
    APPROVED = "approved", pgettext_lazy("claim step", "approved")
    PAID = "paid", pgettext_lazy("claim step", "payout")
    REFUSED = "refused", pgettext_lazy("claim step", "refused")


class LossBasis(models.TextChoices):
    PAID = "paid", _("claims paid")
    INCURRED = "incurred", _("claims paid plus reserves")


class LossGroup(models.TextChoices):
    AGENT = "agent", _("agent")
    PRODUCT = "product", _("product")
    LINE = "line", _("line of business")
    CLIENT = "client", _("client")
    POLICY = "policy", _("policy")
