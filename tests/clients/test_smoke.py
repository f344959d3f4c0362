import pytest

pytestmark = pytest.mark.django_db


def test_agent_sees_own_client_in_list_but_not_foreign(as_agent, my_client, foreign_client):
    response = as_agent.get("/clients/")
    assert response.status_code == 200
    assert my_client.display_name in response.content.decode()
    assert foreign_client.display_name not in response.content.decode()
