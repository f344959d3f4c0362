"""The documents a claim needs, by line of business: the administrator's checklist of the line
(RequiredDocument), else the built-in one below."""

from django.utils.translation import gettext_lazy as _

from .models import RequiredDocument

_ID = _("Claimant's identity document")
_POLICY = _("Policy or its copy")
_NOTICE = _("Signed loss notice")
_BANK = _("Bank details for the payout")

DEFAULT_DOCUMENTS = {
    "motor_tpl": [_NOTICE, _ID, _POLICY, _("Accident report (europrotocol or police)"), _("Driving licence"),
                  _("Vehicle registration certificate"), _("Photos of the damage"), _BANK],
    "motor_own_damage": [_NOTICE, _ID, _POLICY, _("Accident or police report"), _("Driving licence"),
                         _("Vehicle registration certificate"), _("Photos of the damage"), _("Repair estimate"),
                         _BANK],
    "property": [_NOTICE, _ID, _POLICY, _("Report of the emergency service, fire brigade or police"),
                 _("Proof of ownership"), _("Photos of the damage"), _("List and estimate of the damage"), _BANK],
    "life": [_NOTICE, _ID, _POLICY, _("Death certificate"), _("Medical certificate of the cause"),
             _("Beneficiary's identity document"), _BANK],
    "health": [_NOTICE, _ID, _POLICY, _("Medical report"), _("Invoices and receipts"), _BANK],
    "accident": [_NOTICE, _ID, _POLICY, _("Medical report"), _("Report of the accident"), _BANK],
    "travel": [_NOTICE, _ID, _POLICY, _("Travel tickets or boarding passes"), _("Medical report or incident report"),
               _("Invoices and receipts"), _BANK],
    "cargo": [_NOTICE, _POLICY, _("Bill of lading or waybill"), _("Survey report"), _("Commercial invoice"), _BANK],
    "liability": [_NOTICE, _ID, _POLICY, _("Third party's claim letter"), _("Evidence of the damage"), _BANK],
}
GENERIC_DOCUMENTS = [_NOTICE, _ID, _POLICY, _("Evidence of the loss"), _BANK]


def checklist_for(line) -> list[str]:
    """The names of the documents a claim under ``line`` needs, in order."""
    configured = list(RequiredDocument.objects.filter(line=line, is_active=True).order_by("weight", "pk")
                      .values_list("name", flat=True))
    if configured:
        return configured
    return [str(name) for name in DEFAULT_DOCUMENTS.get(getattr(line, "code", ""), GENERIC_DOCUMENTS)]
