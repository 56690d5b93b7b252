"""Pydantic's reasons in Bahasa Indonesia: every kind of refusal a request meets reads as an
Indonesian sentence with its limits filled in; English stays pydantic's own message."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import pytest
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from rujukan_contracts.text import Email, Localised
from rujukan_platform.reasons import REASONS, field_reason


class Form(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=2, max_length=5, pattern=r"^[a-z]+$")] = "ab"
    members: Annotated[list[int], Field(min_length=1, max_length=2)] = [1]
    age: Annotated[int, Field(ge=0, le=120)] = 1
    channel: Literal["front_office", "phone"] = "phone"
    id: UUID | None = None
    born: date | None = None
    at: datetime | None = None
    flag: bool = False
    contact: Email | None = None


def reason(body: Any) -> tuple[str, Localised]:
    with pytest.raises(ValidationError) as refused:
        Form.model_validate(body)
    (error,) = refused.value.errors()
    return error["type"], field_reason(error)


@pytest.mark.parametrize(
    ("body", "kind", "indonesian"),
    [
        ({"name": "a"}, "string_too_short", "minimal 2 karakter"),
        ({"name": "abcdef"}, "string_too_long", "maksimal 5 karakter"),
        ({"name": "AB"}, "string_pattern_mismatch", "tidak sesuai pola ^[a-z]+$"),
        ({"members": []}, "too_short", "minimal 1 butir"),
        ({"members": [1, 2, 3]}, "too_long", "maksimal 2 butir"),
        ({"members": "x"}, "list_type", "harus berupa daftar (array JSON)"),
        ({"age": "tua"}, "int_parsing", "harus bilangan bulat"),
        ({"age": -1}, "greater_than_equal", "harus lebih dari atau sama dengan 0"),
        ({"age": 121}, "less_than_equal", "harus kurang dari atau sama dengan 120"),
        (
            {"channel": "fax"},
            "literal_error",
            "harus salah satu dari: 'front_office' atau 'phone'",
        ),
        ({"id": "x"}, "uuid_parsing", REASONS["uuid_parsing"]),
        ({"born": "kemarin"}, "date_from_datetime_parsing", REASONS["date_parsing"]),
        ({"at": "kemarin"}, "datetime_from_date_parsing", REASONS["datetime_parsing"]),
        ({"flag": "mungkin"}, "bool_parsing", "harus true atau false"),
        ({"nope": 1}, "extra_forbidden", "kolom ini tidak dikenal; hapus atau periksa ejaannya"),
        ({"contact": "warga@@example.org"}, "email", "bukan alamat e-mail yang sah: "),
    ],
)
def test_each_refusal_reads_in_indonesian_with_its_limits(
    body: dict[str, Any], kind: str, indonesian: str
) -> None:
    found, said = reason(body)
    assert found == kind
    assert said.id.startswith(indonesian) and "{" not in said.id
    assert said.en != said.id  # pydantic's English is kept beside it


def test_a_missing_field_and_a_wrong_shape() -> None:
    with pytest.raises(ValidationError) as refused:
        TypeAdapter(Form).validate_python("not an object")
    (error,) = refused.value.errors()
    assert field_reason(error) == Localised("harus berupa objek JSON", error["msg"])
    with pytest.raises(ValidationError) as refused:
        TypeAdapter(dict[str, int]).validate_json('{"a": ')
    (error,) = refused.value.errors()
    assert field_reason(error).id == "bukan JSON yang sah"


def test_an_unknown_kind_still_reads_in_indonesian() -> None:
    error = {"type": "some_new_type", "msg": "Something new", "loc": ("x",), "input": 1}
    assert field_reason(error) == Localised("nilai tidak diterima", "Something new")
