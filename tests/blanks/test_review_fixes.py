"""Taking back around used numbers records exact ranges; only issued policies are printed on forms."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from policydesk.blanks.choices import FormStatus, MovementKind
from policydesk.blanks.models import Form, FormMovement
from policydesk.blanks.services import form_use, form_write_off, forms_return
from policydesk.core.errors import ApplicationError
from policydesk.insurance.services import policy_issue

from ..conftest import login

pytestmark = pytest.mark.django_db


def returns():
    return list(FormMovement.objects.filter(kind=MovementKind.RETURNED).order_by("first_number")
                .values_list("first_number", "last_number", "quantity"))


def test_taking_back_around_used_numbers_records_each_run_so_every_forms_history_is_exact(
        agent_forms, osago, team_lead, agent, my_policy):
    form_use(actor=agent, policy=my_policy, form_type=osago, series="XXX", number=1005)
    form_write_off(actor=team_lead, form=Form.objects.get(number=1012), status="spoiled", reason="Torn")
    assert forms_return(actor=team_lead, form_type=osago, series="XXX", first=1000, last=1019, from_agent=agent) == 18
    assert returns() == [(1000, 1004, 5), (1006, 1011, 6), (1013, 1019, 7)]
    browser = login(team_lead)
    used_card = browser.get(f"/blanks/{Form.objects.get(number=1005).pk}/")
    assert [m.kind for m in used_card.context["movements"]] == ["received", "issued", "used"]
    spoiled_card = browser.get(f"/blanks/{Form.objects.get(number=1012).pk}/")
    assert [m.kind for m in spoiled_card.context["movements"]] == ["received", "issued", "spoiled"]
    returned_card = browser.get(f"/blanks/{Form.objects.get(number=1006).pk}/")
    assert [m.kind for m in returned_card.context["movements"]] == ["received", "issued", "returned"]


def test_a_draft_is_not_printed_on_a_form_until_it_is_issued(agent_forms, osago, agent, my_client, policy_factory,
                                                            as_agent):
    draft = policy_factory(my_client, state="draft", premium=Decimal("900.00"))
    with pytest.raises(ApplicationError) as refused:
        form_use(actor=agent, policy=draft, form_type=osago, series="XXX", number=1003)
    assert refused.value.message == "A draft cannot be printed on a form: issue the policy first."
    api = APIClient()
    api.force_authenticate(agent)
    form = Form.objects.get(number=1004)
    response = api.post(f"/api/blanks/forms/{form.pk}/use/", {"policy": draft.pk}, format="json")
    assert response.status_code == 400 and "issue the policy first" in response.json()["message"]
    page = as_agent.post(f"/blanks/policies/{draft.pk}/take/", {"form_type": osago.pk, "series": "XXX",
                                                                "number": 1003}, follow=True)
    assert "issue the policy first" in page.content.decode()
    tab = as_agent.get(f"/insurance/policies/{draft.pk}/", {"tab": "blank-form"}).content.decode()
    assert "issue the policy first" in tab and "Take this number" not in tab
    assert not Form.objects.filter(policy=draft).exists()
    assert not FormMovement.objects.filter(kind=MovementKind.USED).exists()
    assert Form.objects.filter(number__in=[1003, 1004], status=FormStatus.ISSUED).count() == 2

    issued = policy_issue(actor=agent, policy=draft)
    tab = as_agent.get(f"/insurance/policies/{draft.pk}/", {"tab": "blank-form"}).content.decode()
    assert "Take this number" in tab
    assert form_use(actor=agent, policy=issued, form_type=osago, series="XXX", number=1003).policy == issued
