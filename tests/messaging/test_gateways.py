"""The SMS gateways against real servers on 127.0.0.1 (tests/messaging/stand_ins.py): what a provider
receives, what its answers mean (reference, cost, retry or not), delivery reports and incoming
messages, the offline file gateway, and the settings' validation. No database."""

import base64
import json
import logging
import os
import time
from decimal import Decimal

import pytest
from smpplib import consts

from policydesk.messaging.gateways import (
    CONFIG_FIELDS,
    DeliveryReport,
    FileGateway,
    GatewayConfigError,
    GatewayError,
    HttpGateway,
    IncomingSms,
    OutgoingSms,
    SmppGateway,
    count_parts,
    gateway_from_config,
    json_path,
    validate_config,
)
from policydesk.messaging.gateways import file as file_module
from policydesk.messaging.gateways.smpp import WIRE_LOGGER

from .stand_ins import HttpGatewayStandIn, SmppStandIn, free_port

API_KEY = "sk-live-5f1c9a"
PASSWORD = "p4ss-w0rd"
SMS = OutgoingSms(message_id=42, to="+79161234567", text="Your policy renews on 1 May", sender="Agency")
CYRILLIC = ("Уважаемый клиент! Ваш полис ОСАГО истекает 15 мая. Продлите его заранее в нашем офисе "
            "или по телефону, и мы подберём лучшие условия. Спасибо, что вы с нами!")


@pytest.fixture
def provider():
    with HttpGatewayStandIn() as stand_in:
        yield stand_in


@pytest.fixture
def smsc():
    with SmppStandIn(system_id="policydesk", password="secret") as stand_in:
        yield stand_in


def http_gateway(tmp_path, provider, **config):
    settings = {
        "url": provider.send_url,
        "params": {"to": "{to_digits}", "msg": "{text}", "from": "{sender}", "api_id": "{api_key}",
                   "client_ref": "{message_id}"},
        "api_key": API_KEY,
        "success_field": "status",
        "success_value": "OK",
        "ref_field": "id",
        "cost_field": "cost",
        "timeout": 1,
    }
    settings.update(config)
    return gateway_from_config("http", settings, data_dir=tmp_path)


def smpp_gateway(tmp_path, smsc, **config):
    settings = {"host": smsc.host, "port": smsc.port, "system_id": "policydesk", "password": "secret",
                "source_addr": "Agency", "timeout": 1}
    settings.update(config)
    return gateway_from_config("smpp", settings, data_dir=tmp_path)


# -- the file gateway ------------------------------------------------------------------------------

def sms_files(tmp_path):
    return sorted((tmp_path / "outbox" / "sms").glob("*/*.json"))


def test_file_gateway_writes_each_sms_as_a_readable_json_file_under_the_day(tmp_path):
    gateway = gateway_from_config("file", {}, data_dir=tmp_path)

    result = gateway.send(SMS)

    [path] = sms_files(tmp_path)
    assert path.name == "42.json"
    assert len(path.parent.name) == 10 and path.parent.name[4] == "-"  # YYYY-MM-DD
    written = json.loads(path.read_text(encoding="utf-8"))
    assert {key: written[key] for key in ("message_id", "to", "text", "sender", "parts")} == {
        "message_id": 42, "to": "+79161234567", "text": SMS.text, "sender": "Agency", "parts": 1}
    assert written["written_at"]
    assert result.provider_ref == "file-42" and result.cost is None and result.parts == 1
    assert gateway.balance() is None
    assert gateway.path_for(42) == path


def test_file_gateway_sending_the_same_message_again_leaves_one_file_with_the_new_text(tmp_path):
    gateway = gateway_from_config("file", {}, data_dir=tmp_path)
    earlier_day = tmp_path / "outbox" / "sms" / "2020-01-01"
    earlier_day.mkdir(parents=True)
    (earlier_day / "42.json").write_text("{}", encoding="utf-8")

    gateway.send(SMS)
    gateway.send(OutgoingSms(message_id=42, to=SMS.to, text="Corrected text"))

    [path] = sms_files(tmp_path)
    assert json.loads(path.read_text(encoding="utf-8"))["text"] == "Corrected text"


def test_file_gateway_keeps_the_old_file_whole_and_no_temporary_file_when_a_write_fails(tmp_path, monkeypatch):
    gateway = gateway_from_config("file", {}, data_dir=tmp_path)
    gateway.send(SMS)
    [path] = sms_files(tmp_path)
    before = path.read_bytes()

    def failing_replace(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(file_module.os, "replace", failing_replace)
    with pytest.raises(GatewayError) as raised:
        gateway.send(OutgoingSms(message_id=42, to=SMS.to, text="Never written"))

    assert raised.value.retryable
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == ["42.json"]


def test_file_gateway_counts_parts_of_long_and_cyrillic_texts(tmp_path):
    gateway = gateway_from_config("file", {}, data_dir=tmp_path)

    assert gateway.send(OutgoingSms(1, SMS.to, "a" * 161)).parts == 2
    assert gateway.send(OutgoingSms(2, SMS.to, CYRILLIC)).parts == 3
    assert count_parts("a" * 160) == 1 and count_parts("€" * 80) == 1 and count_parts("€" * 81) == 2
    assert count_parts("я" * 70) == 1 and count_parts("я" * 71) == 2


def test_file_gateway_understands_the_generic_report_and_incoming_forms(tmp_path):
    gateway = gateway_from_config("file", {}, data_dir=tmp_path)

    assert gateway.parse_report({"ref": "file-42", "status": "delivered"}) == DeliveryReport("file-42", "delivered")
    assert gateway.parse_report({"ref": "file-42", "status": "failed", "error": "absent"}) == \
        DeliveryReport("file-42", "failed", "absent")
    assert gateway.parse_report({"ref": "file-42", "status": "teleported"}) is None
    assert gateway.parse_report({"status": "delivered"}) is None
    incoming = gateway.parse_incoming({"from": "+79161234567", "text": "Да", "received_at": "2025-05-01T10:00:00Z"})
    assert (incoming.sender, incoming.text, incoming.received_at.year) == ("+79161234567", "Да", 2025)
    assert gateway.parse_incoming({"text": "no sender"}) is None
    assert gateway.receive(0) == []


# -- the HTTP gateway: the request -------------------------------------------------------------------

def test_http_gateway_posts_a_form_filled_from_the_templates(tmp_path, provider):
    gateway = http_gateway(tmp_path, provider)

    gateway.send(OutgoingSms(message_id=7, to="+79161234567", text="Привет & до встречи", sender="Agency"))

    request = provider.last_request
    assert request.method == "POST" and request.path == "/send"
    assert request.header("Content-Type") == "application/x-www-form-urlencoded"
    assert request.form == {"to": "79161234567", "msg": "Привет & до встречи", "from": "Agency",
                            "api_id": API_KEY, "client_ref": "7"}
    assert request.header("Authorization") is None


def test_http_gateway_leaves_out_the_sender_parameter_when_the_message_has_none(tmp_path, provider):
    gateway = http_gateway(tmp_path, provider)

    gateway.send(OutgoingSms(message_id=7, to="+79161234567", text="Hello"))

    assert "from" not in provider.last_request.form


def test_http_gateway_sends_json_with_a_bearer_token(tmp_path, provider):
    gateway = http_gateway(tmp_path, provider, body="json", auth="bearer", params={
        "messages": [{"destination": "{to}", "text": "{text}", "reference": "{message_id}"}], "flash": False})

    gateway.send(SMS)

    request = provider.last_request
    assert request.header("Content-Type").startswith("application/json")
    assert request.json == {"messages": [{"destination": "+79161234567", "text": SMS.text, "reference": "42"}],
                            "flash": False}
    assert request.header("Authorization") == f"Bearer {API_KEY}"


def test_http_gateway_get_puts_parameters_in_the_query_and_signs_with_basic_auth(tmp_path, provider):
    gateway = http_gateway(
        tmp_path, provider, url=provider.url + "/v1/{api_key}/sms/send.json", method="GET", body="query",
        auth="basic", username="agency", password=PASSWORD, headers={"X-Api-Key": "{api_key}"},
        params={"receptor": "{to_digits}", "message": "{text}"},
    )

    gateway.send(SMS)

    request = provider.last_request
    assert request.method == "GET" and request.path == f"/v1/{API_KEY}/sms/send.json"
    assert request.query == {"receptor": "79161234567", "message": SMS.text}
    assert request.header("Authorization") == "Basic " + base64.b64encode(f"agency:{PASSWORD}".encode()).decode()
    assert request.header("X-Api-Key") == API_KEY


# -- the HTTP gateway: the answer ------------------------------------------------------------------

def test_http_gateway_reads_the_reference_and_the_cost_from_the_answer(tmp_path, provider):
    gateway = http_gateway(tmp_path, provider)

    first = gateway.send(SMS)
    second = gateway.send(SMS)

    assert (first.provider_ref, first.cost, first.parts) == ("1", Decimal("1.50"), 1)
    assert second.provider_ref == "2"


def test_http_gateway_follows_json_paths_into_lists_and_per_number_objects(tmp_path, provider):
    provider.success_body = lambda request, number: {
        "status": "OK", "sms": {"79161234567": {"status": "OK", "sms_id": f"000-{number}", "cost": 2.3}},
        "data": [{"parts": 2}],
    }
    gateway = http_gateway(tmp_path, provider, success_field="sms.{to_digits}.status",
                           ref_field="sms.{to_digits}.sms_id", cost_field="sms.{to_digits}.cost",
                           parts_field="data.0.parts")

    result = gateway.send(SMS)

    assert (result.provider_ref, result.cost, result.parts) == ("000-1", Decimal("2.3"), 2)


def test_http_gateway_reads_the_reference_of_a_text_answer_with_a_pattern(tmp_path, provider):
    provider.success_body = lambda request, number: f"100\n2025-{number}\nbalance=12.5"
    gateway = http_gateway(tmp_path, provider, success_field="", success_value="", success_regex=r"^100\b",
                           ref_regex=r"^\d+\n(\S+)", cost_field="")

    assert gateway.send(SMS).provider_ref == "2025-1"


def test_http_gateway_without_a_reference_setting_uses_our_message_id(tmp_path, provider):
    gateway = http_gateway(tmp_path, provider, ref_field="")

    assert gateway.send(SMS).provider_ref == "42"


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_http_gateway_server_errors_and_throttling_are_retryable(tmp_path, provider, status):
    provider.fail_next(status=status, headers={"Retry-After": "7"} if status == 429 else None)
    gateway = http_gateway(tmp_path, provider)

    with pytest.raises(GatewayError) as raised:
        gateway.send(SMS)

    assert raised.value.retryable
    assert str(status) in raised.value.message
    if status == 429:
        assert raised.value.retry_after == 7
    assert gateway.send(SMS).provider_ref == "1"  # the next try goes through


@pytest.mark.parametrize("status", [400, 404, 422])
def test_http_gateway_client_errors_are_final_and_quote_the_answer(tmp_path, provider, status):
    provider.fail_next(status=status, body="Invalid   phone\nnumber " + "x" * 500)
    provider.fail_next(status=status, body='{"error": "\\u041d\\u0435\\u0432\\u0435\\u0440\\u043d\\u044b\\u0439"}')
    gateway = http_gateway(tmp_path, provider)

    with pytest.raises(GatewayError) as raised:
        gateway.send(SMS)
    with pytest.raises(GatewayError) as raised_for_json:
        gateway.send(SMS)

    assert not raised.value.retryable and not raised_for_json.value.retryable
    assert f"HTTP {status}" in raised.value.message
    assert "Invalid phone number xxx" in raised.value.message
    assert len(raised.value.message) < 300
    assert '{"error": "Неверный"}' in raised_for_json.value.message


def test_http_gateway_refused_credentials_are_final_and_the_error_hides_the_secrets(tmp_path, provider):
    provider.require_auth("Bearer the-right-token")
    provider.fail_next(status=401, body=f"unknown api key {API_KEY} for password {PASSWORD}")
    gateway = http_gateway(tmp_path, provider, auth="bearer", password=PASSWORD,
                           url=provider.send_url + "?key={api_key}")

    for _attempt in range(2):  # the stand-in's own 401, then its refusal of the token
        with pytest.raises(GatewayError) as raised:
            gateway.send(SMS)
        assert not raised.value.retryable
        assert "401" in raised.value.message
        assert API_KEY not in raised.value.message and PASSWORD not in raised.value.message
        assert API_KEY not in repr(gateway)


def test_http_gateway_answer_without_success_is_final_with_its_text(tmp_path, provider):
    provider.success_body = lambda request, number: {"status": "ERROR", "status_text": "Invalid number"}
    gateway = http_gateway(tmp_path, provider)

    with pytest.raises(GatewayError) as raised:
        gateway.send(SMS)

    assert not raised.value.retryable
    assert "Invalid number" in raised.value.message


def test_http_gateway_a_provider_that_does_not_answer_in_time_is_retryable(tmp_path, provider):
    provider.slow(1.5)
    gateway = http_gateway(tmp_path, provider, timeout=0.2)

    started = time.monotonic()
    with pytest.raises(GatewayError) as raised:
        gateway.send(SMS)

    assert raised.value.retryable
    assert time.monotonic() - started < 1.2
    assert len(provider.requests) == 1


def test_http_gateway_connection_refused_is_retryable_and_names_no_key(tmp_path):
    gateway = gateway_from_config(
        "http", {"url": f"http://user:{PASSWORD}@127.0.0.1:{free_port()}/{{api_key}}/send?key={{api_key}}",
                 "api_key": API_KEY, "password": PASSWORD, "timeout": 1}, data_dir=tmp_path)

    with pytest.raises(GatewayError) as raised:
        gateway.send(SMS)

    assert raised.value.retryable
    assert "127.0.0.1" in raised.value.message
    assert API_KEY not in raised.value.message and PASSWORD not in raised.value.message


def test_http_gateway_reads_the_balance(tmp_path, provider):
    provider.balance = Decimal("1234.56")
    gateway = http_gateway(tmp_path, provider, balance_url=provider.balance_url + "?api_id={api_key}",
                           balance_field="balance")

    assert gateway.balance() == Decimal("1234.56")
    assert provider.last_request.query == {"api_id": API_KEY}
    assert http_gateway(tmp_path, provider).balance() is None
    provider.fail_next(status=503)
    with pytest.raises(GatewayError) as raised:
        gateway.balance()
    assert raised.value.retryable


# -- the HTTP gateway: webhooks --------------------------------------------------------------------

def test_http_gateway_reads_delivery_reports_with_the_providers_status_words(tmp_path, provider):
    gateway = http_gateway(tmp_path, provider, report_ref_field="sms_id", report_status_field="status",
                           report_status_map={"103": "delivered", "104": "failed", "102": "sent"})

    assert gateway.parse_report({"sms_id": "000-1", "status": "103"}) == DeliveryReport("000-1", "delivered")
    assert gateway.parse_report({"sms_id": "000-1", "status": "104"}) == DeliveryReport("000-1", "failed", "104")
    assert gateway.parse_report({"sms_id": "000-1", "status": "102"}) == DeliveryReport("000-1", "sent")
    assert gateway.parse_report({"sms_id": "000-1", "status": "UNDELIVERED", "error": "absent subscriber"}) == \
        DeliveryReport("000-1", "failed", "absent subscriber")
    assert gateway.parse_report({"sms_id": "000-1", "status": "999"}) is None
    assert gateway.parse_report({"status": "103"}) is None


def test_http_gateway_reads_reports_nested_in_a_json_body(tmp_path, provider):
    gateway = http_gateway(tmp_path, provider, report_ref_field="data.0.message_id",
                           report_status_field="data.0.state", report_error_field="data.0.reason")

    report = gateway.parse_report({"data": [{"message_id": 77, "state": "REJECTED", "reason": "blacklisted"}]})

    assert report == DeliveryReport("77", "failed", "blacklisted")


def test_http_gateway_reads_incoming_messages(tmp_path, provider):
    gateway = http_gateway(tmp_path, provider, incoming_from_field="phone", incoming_text_field="message",
                           incoming_ref_field="msg_id")

    incoming = gateway.parse_incoming({"phone": "79161234567", "message": "Перезвоните", "msg_id": "55"})

    assert incoming == IncomingSms(sender="79161234567", text="Перезвоните", provider_ref="55")
    assert gateway.parse_incoming({"message": "no sender"}) is None
    assert gateway.receive(0.5) == []


def test_json_path_follows_keys_and_list_indices():
    document = {"status": "OK", "data": [{"id": 5}, {"id": 6}], "a.b": 1}

    assert json_path(document, "status") == "OK"
    assert json_path(document, "data.1.id") == 6
    assert json_path(document, "data.-1.id") == 6
    assert json_path(document, "a.b") == 1
    assert json_path(document, "data.9.id") is None
    assert json_path(document, "status.x", "missing") == "missing"
    assert json_path(None, "status") is None


# -- the SMPP gateway ------------------------------------------------------------------------------

def test_smpp_gateway_binds_as_a_transceiver_and_unbinds_on_close(tmp_path, smsc):
    with smpp_gateway(tmp_path, smsc, system_type="CRM"):
        smsc.wait_for_bind()
        assert smsc.binds == [{"command": "bind_transceiver", "system_id": "policydesk", "password": "secret",
                               "system_type": "CRM"}]

    assert smsc.unbinds == 1


def test_smpp_gateway_sends_a_short_latin_text_in_one_gsm_part(tmp_path, smsc):
    with smpp_gateway(tmp_path, smsc) as gateway:
        result = gateway.send(SMS)

    [submitted] = smsc.submitted
    assert (submitted.destination_addr, submitted.dest_addr_ton, submitted.dest_addr_npi) == ("79161234567", 1, 1)
    assert (submitted.source_addr, submitted.source_addr_ton, submitted.source_addr_npi) == ("Agency", 5, 0)
    assert (submitted.data_coding, submitted.esm_class, submitted.registered_delivery) == (0, 0, 1)
    assert submitted.text == SMS.text
    assert submitted.user_message_reference == 42
    assert (result.provider_ref, result.parts) == ("1001", 1)


def test_smpp_gateway_splits_a_long_cyrillic_text_into_ucs2_parts(tmp_path, smsc):
    with smpp_gateway(tmp_path, smsc) as gateway:
        result = gateway.send(OutgoingSms(message_id=9, to="+79161234567", text=CYRILLIC, sender="+79990001122"))

    parts = smsc.submitted
    assert len(parts) == 3 == result.parts
    assert {(part.data_coding, part.esm_class) for part in parts} == {(8, 0x40)}
    # The user data header: concatenation (0x00), 3 octets: one reference, 3 parts, this part's number.
    assert {part.udh[:3] for part in parts} == {parts[0].udh[:3]} and parts[0].udh[:2] == b"\x00\x03"
    assert [(part.udh[3], part.udh[4]) for part in parts] == [(3, 1), (3, 2), (3, 3)]
    assert "".join(part.text for part in parts) == CYRILLIC
    assert (parts[0].source_addr, parts[0].source_addr_ton, parts[0].source_addr_npi) == ("79990001122", 1, 1)
    assert result.provider_ref == parts[0].message_id == "1001"


def test_smpp_gateway_configured_sender_numbering_wins_and_receipts_can_be_off(tmp_path, smsc):
    with smpp_gateway(tmp_path, smsc, source_addr="1234", source_addr_ton=0, source_addr_npi=1,
                      registered_delivery=False) as gateway:
        gateway.send(OutgoingSms(message_id=1, to="+79161234567", text="Hi"))

    [submitted] = smsc.submitted
    assert (submitted.source_addr, submitted.source_addr_ton, submitted.source_addr_npi) == ("1234", 0, 1)
    assert submitted.registered_delivery == 0


@pytest.mark.parametrize("status", [consts.SMPP_ESME_RTHROTTLED, consts.SMPP_ESME_RMSGQFUL])
def test_smpp_gateway_throttling_statuses_are_retryable(tmp_path, smsc, status):
    smsc.fail_next_submit(status)
    with smpp_gateway(tmp_path, smsc) as gateway:
        with pytest.raises(GatewayError) as raised:
            gateway.send(SMS)
        assert raised.value.retryable
        assert "0x%02X" % status in raised.value.message
        assert gateway.send(SMS).provider_ref  # the same connection goes on


@pytest.mark.parametrize("status", [consts.SMPP_ESME_RINVDSTADR, consts.SMPP_ESME_RSUBMITFAIL,
                                    consts.SMPP_ESME_RINVSRCADR])
def test_smpp_gateway_other_submit_statuses_are_final(tmp_path, smsc, status):
    smsc.fail_next_submit(status)
    with smpp_gateway(tmp_path, smsc) as gateway:
        with pytest.raises(GatewayError) as raised:
            gateway.send(SMS)

    assert not raised.value.retryable
    assert consts.DESCRIPTIONS[status] in raised.value.message


def test_smpp_gateway_wrong_password_is_final_and_not_in_the_message(tmp_path, smsc):
    gateway = smpp_gateway(tmp_path, smsc, password="wrong1")

    with pytest.raises(GatewayError) as raised:
        gateway.send(SMS)

    assert not raised.value.retryable
    assert "wrong1" not in raised.value.message
    assert smsc.submitted == []


def test_smpp_gateway_connection_refused_is_retryable(tmp_path):
    gateway = gateway_from_config("smpp", {"host": "127.0.0.1", "port": free_port(), "system_id": "policydesk",
                                           "password": "secret", "timeout": 1}, data_dir=tmp_path)

    with pytest.raises(GatewayError) as raised:
        gateway.open()

    assert raised.value.retryable
    assert "secret" not in raised.value.message


def test_smpp_gateway_gives_up_on_a_submit_without_answer_and_reconnects_for_the_next(tmp_path, smsc):
    smsc.delay_submits(1.5)
    with smpp_gateway(tmp_path, smsc, timeout=0.3) as gateway:
        started = time.monotonic()
        with pytest.raises(GatewayError) as raised:
            gateway.send(SMS)
        assert raised.value.retryable
        assert time.monotonic() - started < 1.0

        smsc.delay_submits(0)
        assert gateway.send(SMS).provider_ref

    assert len(smsc.binds) == 2


def test_smpp_gateway_sends_on_a_new_connection_after_the_smsc_dropped_the_old(tmp_path, smsc):
    with smpp_gateway(tmp_path, smsc) as gateway:
        gateway.send(SMS)
        smsc.drop_connections()
        time.sleep(0.1)

        assert gateway.send(SMS).provider_ref == "1002"

    assert len(smsc.binds) == 2


def test_smpp_gateway_receives_delivery_receipts_and_acknowledges_them(tmp_path, smsc):
    with smpp_gateway(tmp_path, smsc) as gateway:
        ref = gateway.send(SMS).provider_ref
        sequences = [smsc.push_receipt(ref, "DELIVRD"), smsc.push_receipt("999", "UNDELIV", "011"),
                     smsc.push_receipt("998", "EXPIRED"), smsc.push_receipt("997", "ACCEPTD")]

        reports = gateway.receive(timeout=1)  # the burst, not only the first

        assert reports == [DeliveryReport(ref, "delivered"), DeliveryReport("999", "failed", "UNDELIV (err:011)"),
                           DeliveryReport("998", "failed", "EXPIRED"), DeliveryReport("997", "sent")]
        answered = smsc.wait_for_deliver_responses(4)
        assert sorted(answered) == sorted((sequence, 0) for sequence in sequences)


def test_smpp_gateway_prefers_the_receipted_message_id_field(tmp_path, smsc):
    with smpp_gateway(tmp_path, smsc) as gateway:
        smsc.wait_for_bind()
        smsc.push_receipt("ABC123", "REJECTD", receipted_tlv=True)

        assert gateway.receive(timeout=1) == [DeliveryReport("ABC123", "failed", "REJECTD")]


def test_smpp_gateway_receives_incoming_messages_and_joins_their_parts(tmp_path, smsc):
    with smpp_gateway(tmp_path, smsc) as gateway:
        smsc.wait_for_bind()
        smsc.push_incoming("79161234567", "Call me back @ 5pm")
        smsc.push_incoming("79169998877", CYRILLIC)

        messages = []
        deadline = time.monotonic() + 1.5
        while len(messages) < 2 and time.monotonic() < deadline:
            messages += gateway.receive(timeout=0.5)

    assert messages == [IncomingSms(sender="+79161234567", text="Call me back @ 5pm"),
                        IncomingSms(sender="+79169998877", text=CYRILLIC)]
    assert len(smsc.wait_for_deliver_responses(4)) == 4  # one a part


def test_smpp_gateway_keeps_a_receipt_that_arrived_before_a_send_for_the_next_receive(tmp_path, smsc):
    with smpp_gateway(tmp_path, smsc) as gateway:
        smsc.wait_for_bind()
        smsc.push_receipt("555", "DELIVRD")
        time.sleep(0.1)

        gateway.send(SMS)

        assert gateway.receive(timeout=0) == [DeliveryReport("555", "delivered")]


def test_smpp_gateway_warns_when_receipts_read_while_sending_are_closed_away(tmp_path, smsc, caplog):
    with smpp_gateway(tmp_path, smsc) as gateway:
        smsc.wait_for_bind()
        smsc.push_receipt("556", "DELIVRD")
        time.sleep(0.1)
        gateway.send(SMS)

    assert "1 delivery receipts or incoming SMS read while sending were not collected" in caplog.text


def test_smpp_gateway_receive_waits_no_longer_than_its_timeout(tmp_path, smsc):
    with smpp_gateway(tmp_path, smsc) as gateway:
        started = time.monotonic()
        assert gateway.receive(timeout=0.2) == []
        assert 0.15 <= time.monotonic() - started < 1.0

        smsc.push_receipt("1", "DELIVRD")
        time.sleep(0.1)
        started = time.monotonic()
        assert gateway.receive(timeout=5) == [DeliveryReport("1", "delivered")]
        assert time.monotonic() - started < 1.0  # a short pause after the last, not the whole timeout
        assert gateway.parse_report({"ref": "1", "status": "delivered"}) is None


def test_smpp_gateway_never_logs_the_bind_password(tmp_path, smsc, caplog):
    caplog.set_level(logging.DEBUG, logger=WIRE_LOGGER)
    with smpp_gateway(tmp_path, smsc) as gateway:
        gateway.send(SMS)

    logged = " ".join(record.getMessage() for record in caplog.records)
    assert b"secret".hex() not in logged and "secret" not in logged


# -- settings --------------------------------------------------------------------------------------

def test_gateway_from_config_builds_each_kind_with_its_rate(tmp_path):
    file_gateway = gateway_from_config("file", {}, data_dir=tmp_path)
    http = gateway_from_config("http", {"url": "https://sms.example/send"}, data_dir=tmp_path)
    smpp = gateway_from_config("smpp", {"host": "smsc.example", "system_id": "x"}, data_dir=tmp_path)
    slow_http = gateway_from_config("http", {"url": "https://sms.example/send", "rate": "2.5"}, data_dir=tmp_path)

    assert (type(file_gateway), type(http), type(smpp)) == (FileGateway, HttpGateway, SmppGateway)
    assert (file_gateway.kind, http.kind, smpp.kind) == ("file", "http", "smpp")
    assert file_gateway.rate_per_second >= 1000
    assert (http.rate_per_second, smpp.rate_per_second, slow_http.rate_per_second) == (10, 5, 2.5)


def test_config_fields_describe_every_setting_and_mark_the_secrets():
    assert set(CONFIG_FIELDS) == {"file", "http", "smpp"}
    http = {field.name: field for field in CONFIG_FIELDS["http"]}
    smpp = {field.name: field for field in CONFIG_FIELDS["smpp"]}
    assert {"url", "method", "body", "params", "auth", "headers", "timeout", "success_field", "ref_field",
            "cost_field", "balance_url", "report_status_map", "incoming_text_field", "rate"} <= set(http)
    assert {name for name, field in http.items() if field.secret} == {"password", "api_key"}
    assert {name for name, field in smpp.items() if field.secret} == {"password"}
    assert http["url"].required and smpp["host"].required and smpp["system_id"].required
    assert str(http["url"].label) == "Sending address"


def test_validate_config_explains_what_is_wrong():
    errors = validate_config("http", {"method": "get", "body": "json", "auth": "basic", "timeout": "soon",
                                      "params": "{not json", "success_regex": "([", "rate": 0,
                                      "report_status_map": {"1": "ok"}})

    assert errors == {
        "url": "This field is required.",
        "timeout": "Enter a number.",
        "params": 'Enter a JSON object, for example {"to": "{to}"}.',
        "success_regex": errors["success_regex"],
        "rate": "At least 0.001.",
        "body": "A GET request carries its parameters in the query string; choose the query string.",
        "auth": "Basic authentication needs the user name and the password.",
        "report_status_map": "Map statuses to delivered, failed or sent, not: ok.",
    }
    assert errors["success_regex"].startswith("Not a valid regular expression")


def test_validate_config_names_unknown_placeholders_and_half_set_balances():
    errors = validate_config("http", {"url": "https://sms.example/{apikey}/send", "params": {"to": "{phone}"},
                                      "balance_url": "https://sms.example/balance"})

    assert errors["url"].startswith("Unknown placeholders: {apikey}.")
    assert errors["params"].startswith("Unknown placeholders: {phone}.")
    assert errors["balance_field"] == "The balance needs both its address and its field."


def test_validate_config_accepts_a_good_configuration_given_as_form_text():
    config = {"url": "https://sms.ru/sms/send", "method": "POST", "body": "form",
              "params": '{"api_id": "{api_key}", "to": "{to_digits}", "msg": "{text}", "json": 1}',
              "api_key": "x", "success_field": "status", "success_value": "OK", "ref_field": "sms.{to_digits}.sms_id",
              "report_status_map": '{"103": "delivered"}', "timeout": "5", "rate": "3"}

    assert validate_config("http", config) == {}


def test_validate_config_checks_smpp_limits_and_unknown_kinds():
    errors = validate_config("smpp", {"host": "smsc", "system_id": "a-very-long-system-id", "password": "123456789",
                                      "port": 70000, "registered_delivery": "maybe", "dest_addr_ton": 9})

    assert errors == {"system_id": "At most 15 characters.", "password": "At most 8 characters.",
                      "port": "At most 65535.", "registered_delivery": "Enter yes or no.",
                      "dest_addr_ton": "At most 6."}
    assert validate_config("pigeon", {}) == {"kind": "Unknown kind of SMS gateway: pigeon."}
    with pytest.raises(GatewayConfigError) as raised:
        gateway_from_config("smpp", {"host": "smsc"}, data_dir=None)
    assert raised.value.errors == {"system_id": "This field is required."}
