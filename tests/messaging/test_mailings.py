"""Mass mailings: who they reach and who is left out (and why), the estimate before sending, each
recipient once however often the writing runs, pause, resume and cancel, the author's scope, and the
single messages going before a mailing's."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from policydesk.clients.models import Phone
from policydesk.core.errors import ApplicationError
from policydesk.insurance.models import LineOfBusiness
from policydesk.messaging.choices import MailingStatus, MessageStatus
from policydesk.messaging.mailings import (
    mailing_cancel,
    mailing_check,
    mailing_pause,
    mailing_progress,
    mailing_resume,
    mailing_save,
    mailing_start,
    mailing_test_send,
    mailing_write,
    mailings_finish,
    parse_addresses,
)
from policydesk.messaging.models import Mailing, Message, MessagingSettings
from policydesk.messaging.sending import send_due
from policydesk.messaging.services import message_queue, opt_out, template_save

from ..factories import ClientFactory, TagFactory
from .conftest import reachable, sms_files
from .test_rules import insurer, policy_for  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db
NOON = timezone.make_aware(datetime.datetime(2026, 12, 7, 12, 0))


@pytest.fixture
def greeting(marketing_user):
    return template_save(actor=marketing_user, name="New year", channel="sms", event="general", texts={
        "en": ("", "Happy New Year, {{ client.first_name }}! Your agent {{ agent.name }}."),
        "ru": ("", "С Новым годом, {{ client.first_name }}!"),
    })


@pytest.fixture
def vip(db):
    return TagFactory(name="VIP")


@pytest.fixture
def audience(agent, other_agent, vip):
    """Seven VIP clients: four who may receive a marketing SMS, and three who may not (one opted
    out, one blacklisted, one without consent); a fifth consenting client shares a number with the
    first; and a client without the tag."""
    made = {}
    for n, name in enumerate(["Anna", "Boris", "Chen", "Dara"]):
        client = reachable(ClientFactory(curator=agent if n % 2 == 0 else other_agent, first_name=name,
                                         display_name=f"{name} Client", consent_sms=True),
                           mobile=f"+7916123450{n}", email=None)
        client.tags.add(vip)
        made[name] = client
    opted = reachable(ClientFactory(curator=agent, first_name="Olga", consent_sms=True), mobile="+79161234510",
                      email=None)
    opt_out(actor=agent, client=opted, channel="sms")
    blacklisted = reachable(ClientFactory(curator=agent, first_name="Bad", consent_sms=True, is_blacklisted=True),
                            mobile="+79161234511", email=None)
    silent = reachable(ClientFactory(curator=agent, first_name="Sam", consent_sms=False), mobile="+79161234512",
                       email=None)
    twin = ClientFactory(curator=agent, first_name="Twin", consent_sms=True)
    Phone.objects.create(client=twin, number="+79161234500", kind="mobile", is_primary=True)
    for client in (opted, blacklisted, silent, twin):
        client.tags.add(vip)
    made["outsider"] = reachable(ClientFactory(curator=agent, first_name="Out", consent_sms=True),
                                 mobile="+79161234599", email=None)
    return made


def vip_mailing(actor, template, tag, **extra):
    return mailing_save(actor=actor, name="VIP greeting", template=template, audience="clients",
                        query=f"tags={tag.pk}", **extra)


def run_to_the_end(mailing):
    mailing_start(actor=mailing.created_by, mailing=mailing)
    mailing_write(mailing.pk)
    while send_due()["sent"]:
        pass
    mailings_finish()
    mailing.refresh_from_db()
    return mailing


@time_machine.travel(NOON, tick=False)
def test_the_check_counts_who_receives_it_and_who_is_left_out_and_why(marketing_user, greeting, vip, audience,
                                                                      day_config):
    day_config.sms_part_cost = Decimal("2.50")
    day_config.save()
    check = mailing_check(vip_mailing(marketing_user, greeting, vip))
    assert check["reach"] == 4
    assert {reason: count for reason, _label, count in check["left_out"]} == {
        "opted_out": 1, "blacklisted": 1, "no_consent": 1, "duplicate": 1}
    assert check["parts"] == 4 and check["cost"] == Decimal("10.00")  # one GSM-7 part each


@time_machine.travel(NOON, tick=False)
def test_a_started_mailing_sends_each_recipient_one_message_and_finishes(marketing_user, greeting, vip, audience,
                                                                         data_dir, day_config, django_capture_on_commit_callbacks):
    mailing = vip_mailing(marketing_user, greeting, vip)
    with django_capture_on_commit_callbacks(execute=True):
        mailing_start(actor=marketing_user, mailing=mailing)
    mailing.refresh_from_db()
    assert mailing.status == MailingStatus.DONE and mailing.queued_count == 4
    assert mailing.excluded == {"opted_out": 1, "blacklisted": 1, "no_consent": 1, "duplicate": 1}
    sent = sorted((m["to"], m["text"]) for m in sms_files(data_dir))
    assert [to for to, _text in sent] == ["+79161234500", "+79161234501", "+79161234502", "+79161234503"]
    assert "Happy New Year, Anna! Your agent" in dict(sent)["+79161234500"]
    assert mailing_progress(mailing)["percent"] == 100
    # Those left out are on record, on their own timelines, with the reason.
    assert Message.objects.get(mailing=mailing, client=audience["Anna"]).status == MessageStatus.SENT
    assert set(Message.objects.filter(mailing=mailing, status=MessageStatus.SKIPPED)
               .values_list("skip_reason", flat=True)) == {"opted_out", "blacklisted", "no_consent", "duplicate"}
    # Writing it again (a worker restarted) adds nothing, sends nothing.
    Mailing.objects.filter(pk=mailing.pk).update(status=MailingStatus.QUEUEING, queued_at=None)
    mailing_write(mailing.pk)
    assert Message.objects.filter(mailing=mailing).count() == 8
    assert len(sms_files(data_dir)) == 4


@time_machine.travel(NOON, tick=False)
def test_the_holders_of_motor_policies_expiring_next_month_get_their_policy_in_the_text(
        marketing_user, agent, insurer, data_dir, day_config):  # noqa: F811
    template = template_save(actor=marketing_user, name="Renew now", channel="sms", event="policy_expiring", texts={
        "en": ("", "{{ client.first_name }}, renew {{ policy.number }} before {{ policy.end_date }}.")})
    anna = reachable(ClientFactory(curator=agent, first_name="Anna", consent_sms=True), email=None)
    policy_for(anna, insurer, end=datetime.date(2027, 1, 15), number="M-1")
    policy_for(anna, insurer, end=datetime.date(2027, 1, 20), number="M-2")
    home = reachable(ClientFactory(curator=agent, first_name="Homer", consent_sms=True), mobile="+79161230000",
                     email=None)
    policy_for(home, insurer, end=datetime.date(2027, 1, 15), line="property", number="H-1")
    motor = LineOfBusiness.objects.get(code="motor_tpl")
    query = f"line={motor.pk}&expires_from=2027-01-01&expires_to=2027-01-31"
    mailing = mailing_save(actor=marketing_user, name="Motor January", template=template, audience="policies",
                           query=query)
    assert mailing_check(mailing)["reach"] == 1
    run_to_the_end(mailing)
    texts = [m["text"] for m in sms_files(data_dir)]
    assert len(texts) == 1 and "renew XXX M-1 before" in texts[0]


@time_machine.travel(NOON, tick=False)
def test_a_pasted_list_skips_bad_lines_duplicates_and_opted_out_clients(marketing_user, greeting, agent, data_dir,
                                                                        day_config):
    opted = reachable(ClientFactory(curator=agent, first_name="Olga", consent_sms=True), mobile="+79161234510",
                      email=None)
    opt_out(actor=agent, client=opted, channel="sms")
    known = reachable(ClientFactory(curator=agent, first_name="Anna", consent_sms=True), mobile="+79161234567",
                      email=None)
    pasted = "phone\n+7 916 123-45-67\n8 (916) 555-12-34; +79165551234\n12345\n+7 495 123-45-67\n+79161234510\n"
    mailing = mailing_save(actor=marketing_user, name="Pasted", template=greeting, audience="list", addresses=pasted)
    check = mailing_check(mailing)
    assert check["reach"] == 2
    assert {r: n for r, _label, n in check["left_out"]} == {"invalid_address": 2, "duplicate": 1, "opted_out": 1}
    run_to_the_end(mailing)
    texts = {m["to"]: m["text"] for m in sms_files(data_dir)}
    assert set(texts) == {"+79161234567", "+79165551234"}
    assert "Anna" in texts["+79161234567"]  # the number is a client's: the text is written for her
    assert Message.objects.get(mailing=mailing, recipient="+79161234567").client == known


def test_parse_addresses_reads_emails_case_insensitively():
    found, left = parse_addresses("Email\nAnna@Example.org, anna@example.org\nnot-an-email@\n", "email")
    assert found == ["anna@example.org"] and left == {"duplicate": 1, "invalid_address": 1}


@time_machine.travel(NOON, tick=False)
def test_pause_holds_the_rest_resume_sends_it_cancel_drops_it(marketing_user, greeting, vip, audience, data_dir,
                                                              day_config):
    mailing = vip_mailing(marketing_user, greeting, vip)
    mailing_start(actor=marketing_user, mailing=mailing)
    mailing_write(mailing.pk)
    send_due(limit=1)
    mailing_pause(actor=marketing_user, mailing=mailing)
    assert send_due()["sent"] == 0 and len(sms_files(data_dir)) == 1
    assert mailing_progress(mailing)["percent"] == 25
    mailing_resume(actor=marketing_user, mailing=mailing)
    send_due(limit=1)
    assert len(sms_files(data_dir)) == 2
    mailing_cancel(actor=marketing_user, mailing=mailing)
    assert send_due()["sent"] == 0 and len(sms_files(data_dir)) == 2
    mailing.refresh_from_db()
    assert mailing.status == MailingStatus.CANCELLED
    assert Message.objects.filter(mailing=mailing, status=MessageStatus.CANCELLED).count() == 2
    with pytest.raises(ApplicationError):
        mailing_resume(actor=marketing_user, mailing=mailing)


@time_machine.travel(NOON, tick=False)
def test_a_cancel_while_the_messages_are_written_stops_the_writing(marketing_user, greeting, vip, audience, day_config):
    mailing = vip_mailing(marketing_user, greeting, vip)
    mailing_start(actor=marketing_user, mailing=mailing)
    mailing_cancel(actor=marketing_user, mailing=mailing)
    assert mailing_write(mailing.pk) == {"written": 0}
    assert not Message.objects.filter(mailing=mailing).exists()


@time_machine.travel(NOON, tick=False)
def test_single_messages_go_before_a_mailings(marketing_user, greeting, vip, audience, agent, data_dir, day_config):
    mailing = vip_mailing(marketing_user, greeting, vip)
    mailing_start(actor=marketing_user, mailing=mailing)
    mailing_write(mailing.pk)
    reminder = message_queue(actor=agent, channel="sms", client=audience["Anna"], recipient="+79161234500",
                             body="Your policy ends on Friday.")
    send_due(limit=1)
    reminder.refresh_from_db()
    assert reminder.status == MessageStatus.SENT
    assert Message.objects.filter(mailing=mailing, status=MessageStatus.QUEUED).count() == 4


def test_a_list_is_not_texted_in_the_quiet_hours(marketing_user, greeting, data_dir):
    config = MessagingSettings.current()
    config.quiet_from, config.quiet_until = datetime.time(21, 0), datetime.time(9, 0)
    config.save()
    with time_machine.travel(timezone.make_aware(datetime.datetime(2026, 12, 7, 22, 30)), tick=False):
        mailing = mailing_save(actor=marketing_user, name="Night", template=greeting, audience="list",
                               addresses="+79165551234")
        mailing_start(actor=marketing_user, mailing=mailing)
        mailing_write(mailing.pk)
        assert send_due() == {"sent": 0, "retry": 0, "failed": 0, "deferred": 1}
    message = Message.objects.get(mailing=mailing)
    assert timezone.localtime(message.next_attempt_at).time() == datetime.time(9, 0)


@time_machine.travel(NOON, tick=False)
def test_a_team_leads_mailing_reaches_only_the_clients_of_the_department(team_lead, greeting, vip, audience):
    from policydesk.accounts.models import User

    lead = User.objects.get(pk=team_lead.pk)
    lead.user_permissions.clear()
    mailing = vip_mailing(lead, greeting, vip)
    # Anna and Chen are the agent's (the lead's department); Boris and Dara the other agent's.
    assert mailing_check(mailing)["reach"] == 2
    assert {m.pk for m in Mailing.objects.visible_to(lead)} == {mailing.pk}


@time_machine.travel(NOON, tick=False)
def test_bad_input_is_refused_and_nothing_is_saved(marketing_user, greeting, handler_user):
    claim_template = template_save(actor=marketing_user, name="Claim paid", channel="sms", event="claim_paid",
                                   texts={"en": ("", "Paid {{ claim.paid }}")})
    cases = [
        ({"template": claim_template, "audience": "clients"}, "template"),
        ({"template": greeting, "audience": "list", "addresses": "hello\n12"}, "addresses"),
        ({"template": greeting, "audience": "clients", "query": "created_from=not-a-date"}, "query"),
        ({"template": greeting, "audience": "clients", "name": " "}, "name"),
    ]
    for values, field in cases:
        values = {"name": "X", **values}
        with pytest.raises(ApplicationError) as raised:
            mailing_save(actor=marketing_user, **values)
        assert field in raised.value.errors, (values, raised.value.errors)
    assert not Mailing.objects.exists()


@time_machine.travel(NOON, tick=False)
def test_a_started_mailing_cannot_be_changed_or_started_twice(marketing_user, greeting, vip, audience):
    mailing = vip_mailing(marketing_user, greeting, vip)
    mailing_start(actor=marketing_user, mailing=mailing)
    with pytest.raises(ApplicationError):
        mailing_start(actor=marketing_user, mailing=mailing)
    with pytest.raises(ApplicationError):
        mailing_save(actor=marketing_user, mailing=mailing, name="Other", template=greeting, audience="clients")
    assert Mailing.objects.get(pk=mailing.pk).name == "VIP greeting"


@time_machine.travel(NOON, tick=False)
def test_a_test_send_goes_to_the_author_written_for_the_first_recipient(marketing_user, greeting, vip, audience,
                                                                          data_dir, day_config):
    mailing = vip_mailing(marketing_user, greeting, vip)
    message = mailing_test_send(actor=marketing_user, mailing=mailing, address="8 916 777-66-55")
    assert message.recipient == "+79167776655" and message.user == marketing_user and message.mailing is None
    assert "Anna" in message.body
    with pytest.raises(ApplicationError):
        mailing_test_send(actor=marketing_user, mailing=mailing, address="12")
    send_due()
    assert [m["to"] for m in sms_files(data_dir)] == ["+79167776655"]
    assert mailing_progress(mailing)["total"] == 0


# -- the pages ------------------------------------------------------------------------------------------------


@pytest.fixture
def noon():
    """The clock at noon (no quiet hours), before anyone logs in (a session older than its hours
    would have ended)."""
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def as_marketing(noon, marketing_user):
    from ..conftest import login

    return login(marketing_user)


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_from_the_filtered_client_list_to_a_finished_mailing(as_marketing, marketing_user, greeting, vip, audience,
                                                            data_dir, day_config, django_capture_on_commit_callbacks):
    listing = page(as_marketing.get(f"/clients/?tags={vip.pk}"))
    assert 'id="mailing-to-these"' in listing and f"query=tags%3D{vip.pk}" in listing
    form = page(as_marketing.get(f"/messaging/mailings/add/?audience=clients&query=tags%3D{vip.pk}"))
    assert f'value="tags={vip.pk}"' in form
    response = as_marketing.post("/messaging/mailings/add/", {
        "name": "VIP greeting", "template": greeting.pk, "purpose": "marketing", "audience": "clients",
        "query": f"tags={vip.pk}"})
    mailing = Mailing.objects.get()
    assert response.status_code == 302 and response["Location"] == mailing.get_absolute_url()
    card = page(as_marketing.get(mailing.get_absolute_url()))
    assert 'id="start-mailing"' in card and "mailing-check" in card
    check = page(as_marketing.get(f"/messaging/mailings/{mailing.pk}/check/"))
    assert 'data-reach="4"' in check and 'data-left-out="4"' in check
    assert "the client opted out of this channel: 1" in check
    with django_capture_on_commit_callbacks(execute=True):
        as_marketing.post(f"/messaging/mailings/{mailing.pk}/start/")
    progress = page(as_marketing.get(f"/messaging/mailings/{mailing.pk}/progress/"))
    assert 'data-percent="100"' in progress and 'data-status="done"' in progress
    assert "hx-trigger" not in progress  # finished: no more polling
    card = page(as_marketing.get(mailing.get_absolute_url()))
    assert "All its messages in the outbox" in card and "no consent to marketing by this channel: 1" in card
    outbox = page(as_marketing.get(f"/messaging/outbox/?mailing={mailing.pk}&status=sent"))
    assert outbox.count("data-message=") == 4
    assert len(sms_files(data_dir)) == 4


def test_a_list_uploaded_as_a_file_and_a_test_send(as_marketing, greeting, data_dir, day_config):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("numbers.csv", "phone;name\n+79165551234;Anna\n89165551235;Boris\n".encode("cp1251"),
                                content_type="text/csv")
    as_marketing.post("/messaging/mailings/add/", {"name": "From a file", "template": greeting.pk,
                                                   "purpose": "marketing", "audience": "list", "file": upload})
    mailing = Mailing.objects.get()
    assert mailing_check(mailing)["reach"] == 2
    response = as_marketing.post(f"/messaging/mailings/{mailing.pk}/test/", {"address": "+79167776655"})
    assert response.status_code == 302
    assert Message.objects.get(recipient="+79167776655").mailing is None


def test_an_agent_may_not_open_mailings_and_a_lead_sees_only_the_departments(as_agent, marketing_user, team_lead,
                                                                            greeting):
    from ..conftest import login

    others = mailing_save(actor=marketing_user, name="Company-wide", template=greeting, audience="clients")
    assert as_agent.get("/messaging/mailings/").status_code == 403
    assert as_agent.get(f"/messaging/mailings/{others.pk}/").status_code == 403
    lead = login(team_lead)
    own = mailing_save(actor=team_lead, name="Department news", template=greeting, audience="clients")
    listing = page(lead.get("/messaging/mailings/"))
    assert f'data-mailing="{own.pk}"' in listing and f'data-mailing="{others.pk}"' not in listing
    assert lead.get(f"/messaging/mailings/{others.pk}/").status_code == 404
    assert lead.post(f"/messaging/mailings/{others.pk}/start/").status_code == 404
    assert Mailing.objects.get(pk=others.pk).status == MailingStatus.DRAFT


def test_the_form_shows_what_is_wrong_and_saves_nothing(as_marketing, greeting):
    body = page(as_marketing.post("/messaging/mailings/add/", {
        "name": "Bad", "template": greeting.pk, "purpose": "marketing", "audience": "list", "addresses": "hello"}))
    assert "The list holds no valid mobile number." in body
    assert not Mailing.objects.exists()


def test_the_progress_page_takes_the_same_queries_for_ten_or_a_hundred_messages(as_marketing, marketing_user, greeting,
                                                                               agent, day_config):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (10, 100):
        tag = TagFactory(name=f"T{size}")
        for n in range(size):
            client = reachable(ClientFactory(curator=agent, consent_sms=True), mobile=f"+7916{size:03d}{n:04d}",
                               email=None)
            client.tags.add(tag)
        mailing = vip_mailing(marketing_user, greeting, tag)
        mailing_start(actor=marketing_user, mailing=mailing)
        mailing_write(mailing.pk)
        with CaptureQueriesContext(connection) as queries:
            page(as_marketing.get(mailing.get_absolute_url()))
        counts.append(len(queries))
    assert counts[0] == counts[1]
