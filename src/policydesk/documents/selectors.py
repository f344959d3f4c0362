"""Reads for printing: the data each document is printed from."""

from django.shortcuts import get_object_or_404

from policydesk.clients.models import Client
from policydesk.insurance.models import Policy


def printable_policy(user, pk: int) -> Policy:
    """A policy the user may see, with what its application form shows; 404 outside the scope."""
    queryset = (Policy.objects.visible_to(user)
                .select_related("client", "insurer", "line", "product", "beneficiary", "manager")
                .prefetch_related("client__phones", "client__emails", "client__addresses", "objects_insured",
                                  "insured_persons"))
    return get_object_or_404(queryset, pk=pk)


def policy_application_context(policy: Policy, *, user) -> dict:
    """What the application form prints of ``policy`` for ``user``.

    The beneficiary, the insured persons and the owners of the insured objects may be other clients:
    as on the policy card, what belongs to a client outside the user's scope is not shown. It is
    left out of ``beneficiary``, ``insured_persons`` and ``objects`` (so that no template can print
    it) and only counted, in ``beneficiary_hidden``, ``insured_persons_hidden`` and ``objects_hidden``.
    """
    client = policy.client
    persons = list(policy.insured_persons.all())
    objects = list(policy.objects_insured.all())
    others = ({p.pk for p in persons} | {o.owner_id for o in objects}
              | ({policy.beneficiary_id} if policy.beneficiary_id else set()))
    visible = set(Client.objects.visible_to(user).filter(pk__in=others).values_list("pk", flat=True)) if others else set()
    beneficiary_shown = policy.beneficiary_id in visible
    return {
        "policy": policy,
        "client": client,
        "phones": list(client.phones.all()),
        "emails": list(client.emails.all()),
        "addresses": list(client.addresses.all()),
        "insurer": policy.insurer,
        "product": policy.product,
        "line": policy.line,
        "objects": [o for o in objects if o.owner_id in visible],
        "objects_hidden": sum(1 for o in objects if o.owner_id not in visible),
        "insured_persons": [p for p in persons if p.pk in visible],
        "insured_persons_hidden": sum(1 for p in persons if p.pk not in visible),
        "beneficiary": policy.beneficiary if beneficiary_shown else None,
        "beneficiary_hidden": bool(policy.beneficiary_id) and not beneficiary_shown,
        "manager": policy.manager,
    }
