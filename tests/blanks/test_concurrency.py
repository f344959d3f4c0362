"""Two users take the same form number at the same moment: exactly one wins (PostgreSQL)."""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from policydesk.blanks.choices import FormStatus
from policydesk.blanks.models import Form, FormMovement
from policydesk.blanks.services import form_use
from policydesk.core.errors import ApplicationError

ON_POSTGRESQL = connection.vendor == "postgresql"
pytestmark = [
    # Committed rows are flushed afterwards; tests/conftest.py seeds the roles and lines of business again.
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not ON_POSTGRESQL,
                       reason="SQLite serialises writers: two connections never take a number at once"),
]


def _in_thread(target, results, key):
    def run():
        try:
            results[key] = target()
        except ApplicationError as exc:
            results[key] = exc
        finally:
            connections.close_all()  # this thread's own connection

    return threading.Thread(target=run)


def test_two_connections_taking_the_same_number_for_two_policies_one_wins(agent_forms, osago, agent, team_lead,
                                                                          my_client, policy_factory):
    first, second = policy_factory(my_client, manager=agent), policy_factory(my_client, manager=agent)
    for attempt in range(5):
        number = 1000 + attempt
        barrier = threading.Barrier(2)
        results = {}

        def take(policy, number=number, barrier=barrier):
            barrier.wait()
            return form_use(actor=agent, policy=policy, form_type=osago, series="XXX", number=number)

        policies = (first, second) if attempt % 2 else (second, first)
        first, second = policies  # alternate who is first to the barrier
        threads = [_in_thread(lambda p=p: take(p), results, p.pk) for p in policies]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        winners = [pk for pk, r in results.items() if isinstance(r, Form)]
        losers = [r for r in results.values() if isinstance(r, ApplicationError)]
        assert len(winners) == 1 and len(losers) == 1, results
        assert "already used" in losers[0].message or "just been used" in losers[0].message or \
            "already printed" in losers[0].message
        form = Form.objects.get(number=number)
        assert form.status == FormStatus.USED and form.policy_id == winners[0]
        assert FormMovement.objects.filter(kind="used", first_number=number).count() == 1
        # Free the policies for the next round by hand (a used form is never released by the app).
        Form.objects.filter(number=number).update(policy=None, status=FormStatus.SPOILED, write_off_reason="test")


def test_the_second_user_waits_for_the_first_and_is_refused(agent_forms, osago, agent, my_client, policy_factory):
    """The first user holds the row lock; the second blocks on it, then sees the form used."""
    mine, theirs = policy_factory(my_client, manager=agent), policy_factory(my_client, manager=agent)
    locked, results = threading.Event(), {}

    def first_user():
        with transaction.atomic():
            form = form_use(actor=agent, policy=mine, form_type=osago, series="XXX", number=1007)
            locked.set()
            time.sleep(0.8)  # still uncommitted: the row stays locked
        return form

    def second_user():
        locked.wait(10)
        started = time.monotonic()
        try:
            return form_use(actor=agent, policy=theirs, form_type=osago, series="XXX", number=1007)
        finally:
            results["waited"] = time.monotonic() - started

    threads = [_in_thread(first_user, results, "first"), _in_thread(second_user, results, "second")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert isinstance(results["first"], Form)
    assert isinstance(results["second"], ApplicationError) and "already used" in results["second"].message
    assert results["waited"] > 0.5
    assert Form.objects.get(number=1007).policy == mine
    assert not Form.objects.filter(policy=theirs).exists()


def test_two_numbers_for_the_same_policy_at_once_one_wins(agent_forms, osago, agent, my_policy):
    barrier, results = threading.Barrier(2), {}

    def take(number):
        barrier.wait()
        return form_use(actor=agent, policy=my_policy, form_type=osago, series="XXX", number=number)

    threads = [_in_thread(lambda n=n: take(n), results, n) for n in (1010, 1011)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(type(r).__name__ for r in results.values()) == ["ApplicationError", "Form"], results
    assert Form.objects.filter(policy=my_policy).count() == 1
    assert Form.objects.filter(number__in=[1010, 1011], status=FormStatus.ISSUED).count() == 1
