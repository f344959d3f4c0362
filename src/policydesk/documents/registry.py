"""What can be printed for a policy: the "Print" tab of the policy card lists these.

An app adds its documents here from its registrations module (loaded in AppConfig.ready()). Only
the documents app does so today, for the policy application form; billing prints payment receipts
from each payment's row on the policy's "Installments and payments" tab (billing:payment_receipt).
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class PolicyPrintable:
    slug: str
    # documents(request, policy) -> [(label, url), ...]: the printable documents of this kind for a policy.
    documents: Callable
    permission: str | None = None
    weight: int = 100


_PRINTABLES: dict[str, PolicyPrintable] = {}


def register_policy_printable(printable: PolicyPrintable) -> None:
    _PRINTABLES[printable.slug] = printable


def policy_printables(request, policy) -> list[dict]:
    found = []
    for printable in sorted(_PRINTABLES.values(), key=lambda p: p.weight):
        if printable.permission is None or request.user.has_perm(printable.permission):
            found += [{"label": label, "url": url} for label, url in printable.documents(request, policy)]
    return found
