import pytest

from policydesk.core.taxid import normalize_tax_id, tax_id_error


@pytest.mark.parametrize("country,kind,value", [
    ("RU", "organisation", "7707083893"),
    ("RU", "person", "500100732259"),
    ("IR", "person", "0499370899"),
    ("IR", "organisation", "14007650912"),
    ("AZ", "organisation", "1400057421"),
    ("CN", "organisation", "91350100M000100Y43"),
    ("CN", "person", "11010519491231002X"),
    ("GB", "organisation", "GB123456789"),
])
def test_valid_tax_ids_pass(country, kind, value):
    assert tax_id_error(value, kind=kind, country=country) is None


@pytest.mark.parametrize("country,kind,value", [
    ("RU", "organisation", "7707083894"),  # one digit off
    ("RU", "person", "50010073225"),
    ("RU", "person", "12AB"),
    ("IR", "person", "0499370898"),
    ("IR", "person", "1111111111"),
    ("AZ", "organisation", "12345"),
    ("CN", "organisation", "91350100M000100Y44"),
    ("CN", "person", "110105194912310021"),
    ("GB", "organisation", "<script>"),
])
def test_invalid_tax_ids_are_refused_with_a_reason(country, kind, value):
    assert tax_id_error(normalize_tax_id(value), kind=kind, country=country)


def test_tax_id_is_normalised_before_checking():
    assert normalize_tax_id(" 7707-083 893 ") == "7707083893"
    assert normalize_tax_id("91350100m000100y43") == "91350100M000100Y43"
