import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from policydesk.clients.models import Client
from policydesk.clients.services import client_create

pytestmark = pytest.mark.django_db

CSV = (
    "last_name,first_name,birth_date,phone,email,city\n"
    "Петров,Иван,1980-01-02,8 912 345-67-89,petrov@example.com,Казань\n"
    "Bad,Phone,,12,,\n"
    "Дубль,Клиента,,+79990001122,,\n"
)


def upload(browser, content: bytes, name="clients.csv"):
    return browser.post("/clients/import/", {"file": SimpleUploadedFile(name, content)})


def test_import_preview_writes_nothing_and_flags_errors_and_duplicates(as_agent, agent):
    client_create(actor=agent, data={"kind": "person", "last_name": "Existing"}, phones=[{"number": "+79990001122"}])
    response = upload(as_agent, CSV.encode())
    html = response.content.decode()
    assert response.status_code == 200 and "import-preview" in html
    assert "is not a valid phone number" in html and "Existing" in html
    assert Client.objects.count() == 1
    token = response.context["token"]
    as_agent.post("/clients/import/", {"token": token})
    assert set(Client.objects.values_list("last_name", flat=True)) == {"Existing", "Петров"}
    petrov = Client.objects.get(last_name="Петров")
    assert petrov.phones.get().number == "+79123456789" and petrov.curator == agent
    assert petrov.history.first().history_user == agent


def test_import_can_include_duplicates_when_asked(as_agent, agent):
    client_create(actor=agent, data={"kind": "person", "last_name": "Existing"}, phones=[{"number": "+79990001122"}])
    token = upload(as_agent, CSV.encode()).context["token"]
    as_agent.post("/clients/import/", {"token": token, "include_duplicates": "on"})
    assert Client.objects.filter(last_name="Дубль").exists()


def test_xlsx_with_translated_headers(as_agent):
    book = openpyxl.Workbook()
    book.active.append(["last name", "first name", "phone"])
    book.active.append(["Smith", "Anna", "+1 212 555 0123"])
    stream = io.BytesIO()
    book.save(stream)
    response = upload(as_agent, stream.getvalue(), "c.xlsx")
    as_agent.post("/clients/import/", {"token": response.context["token"]})
    assert Client.objects.get().display_name == "Smith Anna"


def test_unreadable_file_is_refused_with_a_message(as_agent):
    response = upload(as_agent, b"\x00\x01garbage", "c.xlsx")
    assert "could not be read" in response.content.decode()
    response = upload(as_agent, b"a,b\n1,2\n", "c.csv")
    assert "No known column" in response.content.decode()
    assert not Client.objects.exists()


def test_another_user_cannot_confirm_my_import(as_agent, other_agent):
    from ..conftest import login

    token = upload(as_agent, CSV.encode()).context["token"]
    login(other_agent).post("/clients/import/", {"token": token})
    assert not Client.objects.exists()
