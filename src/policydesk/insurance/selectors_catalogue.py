"""Reads about insured objects that are more than a filter: search, the object card, the client's tab."""

from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse

from policydesk.clients.models import Client
from policydesk.core.visibility import scope_filter

from .models import InsuredObject, ObjectOwnership, Policy
from .services_catalogue import normalize_plate, normalize_vin


def object_search(queryset, query: str):
    """Objects whose VIN or plate starts with the text (typed in any case, with or without spaces), whose VIN
    ends with it (the last digits are what people read out), or whose make, model, description or address
    hold every word."""
    query = (query or "").strip()
    if not query:
        return queryset
    condition = Q()
    vin, plate = normalize_vin(query), normalize_plate(query)
    if vin:
        condition |= Q(vin__startswith=vin) | Q(plate__startswith=plate)
        if len(vin) >= 4:
            condition |= Q(vin__endswith=vin)
    words = Q()
    for word in query.split():
        words &= (Q(make__icontains=word) | Q(model__icontains=word) | Q(title__icontains=word)
                  | Q(address__icontains=word))
    return queryset.filter(condition | words)


def policy_url_exists() -> bool:
    try:
        reverse("insurance:policy", args=[1])
    except NoReverseMatch:
        return False
    return True


def object_card_context(request, obj: InsuredObject) -> dict:
    """The owners (named only when the user may see them) and the policies in the user's scope covering it."""
    ownerships = list(ObjectOwnership.objects.filter(object=obj).select_related("owner", "recorded_by"))
    linked = {o.owner_id for o in ownerships}
    visible = set(Client.objects.visible_to(request.user).filter(pk__in=linked).values_list("pk", flat=True))
    policies = list(
        Policy.objects.visible_to(request.user).with_status().filter(objects_insured=obj)
        .select_related("insurer", "line", "product").order_by("-end_date", "-pk"))
    return {
        "ownerships": [(o, o.owner_id in visible) for o in ownerships],
        "policies": policies,
        "policy_links": policy_url_exists(),
    }


def client_objects(client, user):
    """The objects a client owns, with the number of policies in the user's scope covering each."""
    policy_scope = scope_filter(user, "policies__client__curator")
    return (InsuredObject.objects.visible_to(user).filter(owner=client)
            .annotate(policy_count=Count("policies", filter=policy_scope, distinct=True))
            .select_related("person").order_by("archived_at", "kind", "pk"))


def client_former_objects(client, user):
    """Objects the client owned before (transferred to another client), that the user may still see."""
    return (ObjectOwnership.objects.filter(owner=client, until__isnull=False,
                                           object__in=InsuredObject.objects.visible_to(user))
            .select_related("object").order_by("-until", "-pk"))


def client_objects_tab(request, client) -> dict:
    return {
        "insured_objects": list(client_objects(client, request.user)),
        "former_objects": list(client_former_objects(client, request.user)[:50]),
        "can_add_object": request.user.has_perm("insurance.add_insuredobject"),
    }

