"""The screening policy (`policies/screening.yaml`): how names are compared, how the score is
adjusted and where the block / review / pass bands start. Load it with
`chalicelib.policies.load_policy(POLICIES_DIR / "screening.yaml", ScreeningPolicy)`."""
from __future__ import annotations

from pydantic import Field, model_validator

from chalicelib.domain.models import Frozen

Unit = Field(ge=0.0, le=1.0)


class Sourced(Frozen):
    source: str


class Bands(Sourced):
    """A final score >= block is in the block band, >= review in the review band, else pass."""

    block: float = Unit
    review: float = Unit

    @model_validator(mode="after")
    def _ordered(self) -> Bands:
        if self.review > self.block:
            raise ValueError("the review band must start below the block band")
        return self


class ShortName(Frozen):
    """Names shorter than `length` letters have their shortfall from a perfect score
    multiplied by up to 1 + `strictness` (linearly, the shorter the more)."""

    length: int = Field(ge=1, le=40)
    strictness: float = Field(ge=0.0, le=10.0)


class NameWeights(Sourced):
    """Name score = token_pairs * pairs + token_sort * sort + token_set * set (weights sum to 1).

    Token pairing: each query token is paired greedily with its most similar listed token;
    similarity is Jaro-Winkler, raised to `phonetic_similarity` when both tokens have the same
    consonant skeleton, and 0 below `token_floor`. Words joined on one side ("Usa ma" / "usama",
    "binladen" / "bin laden") are compared letter for letter (edit distance over the longer
    length), and their shared skeleton counts only from `joined_phonetic_floor` of that
    similarity; so are two words whose lengths differ by `length_gap` letters or more.
    Unpaired query tokens cost
    `unmatched_query_token` of their length, unpaired listed tokens `unmatched_listed_token`
    (small, so a dropped middle name costs little), except that as much of the unpaired listed
    weight as the query leaves unpaired too costs `conflicting_listed_token` (a word on each
    side, neither like the other: another surname, not an omitted one); particles ("al", "bin", "van") count for
    `particle_weight` of their length. Short names tolerate less (`short_name`).
    """

    token_pairs: float = Unit
    token_sort: float = Unit
    token_set: float = Unit
    token_floor: float = Unit
    phonetic_similarity: float = Unit
    joined_phonetic_floor: float = Unit
    length_gap: int = Field(ge=1, le=40)
    unmatched_query_token: float = Unit
    unmatched_listed_token: float = Unit
    conflicting_listed_token: float = Unit
    particle_weight: float = Unit
    short_name: ShortName

    @model_validator(mode="after")
    def _sum_to_one(self) -> NameWeights:
        if abs(self.token_pairs + self.token_sort + self.token_set - 1.0) > 1e-9:
            raise ValueError("token_pairs + token_sort + token_set must be 1")
        if self.conflicting_listed_token < self.unmatched_listed_token:
            raise ValueError("a listed word contradicted costs at least as much as one omitted: "
                             "conflicting_listed_token >= unmatched_listed_token")
        return self


class BirthDateAdjustments(Sourced):
    """Added to the name score by how the listed birth dates compare with the subject's: an
    exact day, the listed year (and month), inside a listed range or circa window, within
    `near_years` (no change), or further away (`mismatch`, negative)."""

    exact: float = Field(ge=0.0, le=0.2)
    year: float = Field(ge=0.0, le=0.2)
    range: float = Field(ge=0.0, le=0.2)
    mismatch: float = Field(ge=-1.0, le=0.0)
    near_years: int = Field(ge=0, le=10)


class Adjustments(Sourced):
    weak_alias: float = Field(ge=-1.0, le=0.0)
    birth_date: BirthDateAdjustments
    nationality_agrees: float = Field(ge=0.0, le=0.2)
    nationality_differs: float = Field(ge=-1.0, le=0.0)
    entity_type_differs: float = Field(ge=-1.0, le=0.0)


class Retrieval(Sourced):
    """Candidate retrieval: a listed name is scored only if it has a similar token for at
    least `min_coverage` of the query's (weighted) length."""

    min_coverage: float = Unit


class ScreeningPolicy(Frozen):
    policy: str
    version: str
    bands: Bands
    name: NameWeights
    adjustments: Adjustments
    retrieval: Retrieval
