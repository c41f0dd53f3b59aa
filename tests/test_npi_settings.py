"""NPI check digits (CMS Luhn over prefix 80840) and production settings that refuse unsafe values."""

import pytest

from openum.directory.npi import npi_is_valid
from openum.settings import Settings


def test_cms_example_npi_is_valid() -> None:
    # CMS's published worked example: 123456789 with check digit 3.
    assert npi_is_valid("1234567893")


@pytest.mark.parametrize("npi", ["1234567890", "123456789", "12345678931", "abcdefghij", ""])
def test_bad_npis_are_refused(npi: str) -> None:
    assert not npi_is_valid(npi)


def test_production_refuses_sqlite_default_secret_and_debug() -> None:
    with pytest.raises(ValueError) as err:
        Settings(env="production", database_url="sqlite:///x.db", debug=True)
    text = str(err.value)
    assert "SQLite" in text and "SECRET_KEY" in text and "DEBUG" in text


def test_production_accepts_postgres_and_a_real_secret() -> None:
    s = Settings(env="production", database_url="postgresql+psycopg://u@db/openum",
                 secret_key="x" * 40)
    assert s.env == "production"
