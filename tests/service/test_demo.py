"""The demo generator of service requests (demo/service.py)."""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from policydesk.demo.service import record_requests
from policydesk.service.models import Article, RequestStep, ServiceRequest
from policydesk.service.search import article_search

from ..factories import ClientFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 30)


def _snapshot():
    return list(ServiceRequest.objects.order_by("pk").values_list(
        "kind", "client_id", "status", "received_at", "due_at", "satisfaction"))


def test_requests_are_deterministic_with_steps_some_overdue_some_rated(agent, team_lead, other_agent):
    for index in range(30):
        ClientFactory(curator=[agent, other_agent][index % 2])
    with transaction.atomic():
        assert record_requests(seed=7, today=TODAY, count=200) == 200
        first = _snapshot()
        transaction.set_rollback(True)
    assert record_requests(seed=7, today=TODAY, count=200) == 200
    assert _snapshot() == first
    noon = timezone.make_aware(datetime.datetime.combine(TODAY, datetime.time(12)))
    requests = ServiceRequest.objects.all()
    overdue = requests.filter(due_at__lt=noon).count()
    assert 0 < overdue < 30
    assert requests.filter(satisfaction__isnull=False).count() > 50
    assert not requests.filter(status__in=["resolved", "closed"], due_at__isnull=False).exists()
    assert not requests.filter(status__in=["resolved", "closed"], resolution="").exists()
    assert RequestStep.objects.filter(kind="registered").count() == 200
    assert requests.filter(escalated_at__isnull=False).exists()
    assert set(Article.objects.values_list("language", flat=True)) == {"en", "ru", "fa", "az", "zh-hans"}
    assert article_search(Article.objects.all(), "到账").count() == 1
    # The default count: one request per 20 clients.
    assert record_requests(seed=8, today=TODAY) == 30 // 20
