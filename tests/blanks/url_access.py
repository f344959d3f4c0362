"""Strict-reporting forms in the access walk (tests/test_url_access.py).

A form belongs to the agent it is issued to: the agent's own form is world.own["blank_form"], another
department's agent's form world.foreign["blank_form"] (the team lead does not see it either). The
policy tab's action names a policy, which belongs to a client.
"""

import datetime

from django.utils import timezone

from policydesk.blanks.models import Form, FormType
from policydesk.blanks.services import batch_receive, form_use, form_write_off, forms_issue
from policydesk.insurance.models import Insurer, LineOfBusiness, Policy

PATH_ARGS = {
    "blanks:form": {"pk": "blank_form"},
    "blanks:write_off": {"pk": "blank_form"},
    "blanks:policy_take": {"pk": "blank_policy"},
    "blanks:formtype_edit": {"pk": "formtype"},
    "blanks:formtype_delete": {"pk": "formtype"},
    "form-detail": {"pk": "blank_form"},
    "form-use": {"pk": "blank_form"},
    "form-write-off": {"pk": "blank_form"},
    "formtype-detail": {"pk": "formtype"},
    "formbatch-detail": {"pk": "formbatch"},
}
CLIENT_BOUND = {"blank_form", "blank_policy"}
FOREIGN_NEEDLES = ["QZ-FOREIGN-777", "Foreign spoilage secret"]


def _policy(client, insurer, line, number, manager):
    today = timezone.localdate()
    return Policy.objects.create(client=client, insurer=insurer, line=line, state="issued", number=number,
                                 start_date=today, end_date=today + datetime.timedelta(days=364), manager=manager)


def populate(world) -> None:
    admin, agent, other = world.users["admin"], world.users["agent"], world.users["other_agent"]
    insurer = Insurer.objects.create(name="Walk Blanks Insurer")
    line = LineOfBusiness.objects.get(code="motor_tpl")
    form_type = FormType.objects.create(name="Walk form", insurer=insurer, line=line)
    today = timezone.localdate()
    batch = batch_receive(actor=admin, form_type=form_type, series="WLK", first_number=1, last_number=40,
                          received_on=today - datetime.timedelta(days=5))
    forms_issue(actor=admin, form_type=form_type, series="WLK", first=1, last=10, to_agent=agent)
    forms_issue(actor=admin, form_type=form_type, series="WLK", first=21, last=30, to_agent=other)
    own_policy = _policy(world.own["client"], insurer, line, "QZ-OWN-111", agent)
    foreign_policy = _policy(world.foreign["client"], insurer, line, "QZ-FOREIGN-777", other)
    form_use(actor=admin, policy=own_policy, form_type=form_type, series="WLK", number=2)
    form_use(actor=admin, policy=foreign_policy, form_type=form_type, series="WLK", number=22)
    form_write_off(actor=admin, form=Form.objects.get(form_type=form_type, number=23), status="spoiled",
                   reason="Foreign spoilage secret")
    # A second policy of the agent's client, not yet printed: the tab's action would print it.
    world.own["blank_policy"] = _policy(world.own["client"], insurer, line, "QZ-OWN-112", agent)
    world.foreign["blank_policy"] = _policy(world.foreign["client"], insurer, line, "QZ-FOREIGN-778", other)
    world.own["blank_form"] = Form.objects.get(form_type=form_type, number=1)
    world.foreign["blank_form"] = Form.objects.get(form_type=form_type, number=21)
    world.shared["formtype"] = form_type
    world.shared["formbatch"] = batch


def action_data(world) -> dict:
    form_type = world.shared["formtype"]
    take = {"form_type": form_type.pk, "series": "WLK", "number": 3}
    return {
        "blanks:write_off": {"status": "lost", "reason": "walk", "on": timezone.localdate().isoformat()},
        "blanks:policy_take": take,
        "form-use": {"policy": world.own["blank_policy"].pk},
        "form-write-off": {"status": "lost", "reason": "walk"},
    }
