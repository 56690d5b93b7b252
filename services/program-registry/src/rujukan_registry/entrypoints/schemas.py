"""What the registry's routes take and answer (the OpenAPI schemas)."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field, StrictInt, model_validator

from rujukan_contracts.text import Localised, refusal
from rujukan_eligibility.catalogue import RuleVersion, SeedProgram
from rujukan_eligibility.context import EvaluationContext
from rujukan_eligibility.rules import Rule
from rujukan_registry.domain.commands import Saved


class ProgramView(SeedProgram):
    """A program as stored, with its revision (the ETag) and the rule version in effect."""

    revision: int
    #: named apart from SeedProgram.current_version() (the method), shown as current_version
    version_in_effect: int = Field(alias="current_version")

    @classmethod
    def of(cls, saved: Saved) -> ProgramView:
        return cls.model_validate(
            {
                **saved.program.model_dump(mode="json"),
                "revision": saved.revision,
                "current_version": saved.program.current_version().version,
            }
        )


class ProgramPage(BaseModel):
    items: list[ProgramView]
    next_cursor: str | None = Field(description="the next page's cursor; null on the last page")


class VersionsView(BaseModel):
    code: str
    current_version: int
    items: list[RuleVersion]


class CriterionView(BaseModel):
    kind: Literal["criterion"]
    name: str
    label: str = Field(description="in the caller's language (Accept-Language; Indonesian first)")
    label_en: str | None = Field(description="the English label, when the rule has one")
    cel: str
    passed: bool
    values: dict[str, Any] = Field(description="the household's values the criterion read")
    error: str | None


class ExplainView(BaseModel):
    program: str
    version: int
    serves_region: bool = Field(description="the household's village is in the service area")
    eligible: bool
    criteria: list[CriterionView]
    tree: dict[str, Any] = Field(description="the rule's groups and criteria with their results")


class ExplainRequest(BaseModel):
    """Either a household context (CONTEXT.md) or the id of a recent intake."""

    context: EvaluationContext | None = None
    intake_id: UUID | None = None
    version: StrictInt | None = Field(default=None, description="default: the version in effect")

    @model_validator(mode="after")
    def _one_of(self) -> ExplainRequest:
        if (self.context is None) == (self.intake_id is None):
            raise refusal(
                "one_of",
                Localised(
                    "kirim tepat satu dari 'context' atau 'intake_id'",
                    "send exactly one of 'context' or 'intake_id'",
                ),
            )
        return self


class DryRunRequest(BaseModel):
    rule: Rule = Field(description="the draft rule tree (all_of / any_of / at_least)")
    days: StrictInt = Field(default=90, ge=1, le=366, description="how far back to look")
