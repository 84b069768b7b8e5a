"""What the open data API publishes, field by field (R22).

Every schema lists its fields explicitly: a field that is not here is never
published. Never here: phone numbers, addresses, contributors' names, the
names of donors who did not consent, drafts, authors, who voted or how.
"""

from datetime import date, datetime
from decimal import Decimal

from ninja import Schema


class Row(Schema):
    """The fields every per-community row has: its id and its community (what ``community=`` filters).

    A row whose community is one step away overrides ``resolve_community_id``.
    """

    id: int
    community_id: int


class CommunityOut(Schema):
    id: int
    name: str
    subdistrict: str
    council_size: int

    @staticmethod
    def resolve_subdistrict(obj) -> str:
        return obj.subdistrict.name


class GroupOut(Row):
    name: str


class MemberOut(Schema):
    name: str
    role: str


class CouncilOut(Row):
    kind: str
    name: str
    group_id: int | None
    members: list[MemberOut]

    @staticmethod
    def resolve_members(obj) -> list[dict]:
        # ``current_seats`` is prefetched by the view (one query for the page).
        return [{"name": seat.user.display_name, "role": seat.role} for seat in obj.current_seats]


class ProposalOut(Row):
    title: str
    summary: str
    category: str
    status: str
    group_id: int
    group: str
    total: Decimal
    community_share: Decimal
    created_at: datetime

    @staticmethod
    def resolve_community_id(obj) -> int:
        return obj.group.community_id

    @staticmethod
    def resolve_group(obj) -> str:
        return obj.group.name


class NoticeOut(Row):
    proposal_id: int
    title: str
    text: str
    total: Decimal
    community_share: Decimal
    published_at: datetime
    ends_at: datetime
    voided: bool

    @staticmethod
    def resolve_community_id(obj) -> int:
        return obj.proposal.group.community_id

    @staticmethod
    def resolve_title(obj) -> str:
        return obj.resolution.title

    @staticmethod
    def resolve_text(obj) -> str:
        return obj.resolution.text

    @staticmethod
    def resolve_total(obj) -> Decimal:
        return obj.resolution.total

    @staticmethod
    def resolve_community_share(obj) -> Decimal:
        return obj.resolution.community_share

    @staticmethod
    def resolve_voided(obj) -> bool:
        return obj.voided_at is not None


class BallotOut(Row):
    proposal_id: int
    kind: str
    outcome: str
    electorate: int
    approve: int
    oppose: int
    abstain: int
    opened_at: datetime
    closed_at: datetime | None

    @staticmethod
    def resolve_community_id(obj) -> int:
        return obj.council.community_id

    @staticmethod
    def resolve_electorate(obj) -> int:
        return obj.electorate_size

    @staticmethod
    def resolve_approve(obj) -> int:
        return obj.approve_count

    @staticmethod
    def resolve_oppose(obj) -> int:
        return obj.oppose_count

    @staticmethod
    def resolve_abstain(obj) -> int:
        return obj.abstain_count


class FundOut(Row):
    year: int
    kind: str
    balance: Decimal
    reserved: Decimal

    @staticmethod
    def resolve_balance(obj) -> Decimal:
        return obj.balance_sum or Decimal("0.00")

    @staticmethod
    def resolve_reserved(obj) -> Decimal:
        return obj.reserved_sum or Decimal("0.00")


class LedgerEntryOut(Schema):
    seq: int
    kind: str
    balance_delta: Decimal
    reserved_delta: Decimal
    proposal_id: int | None
    counterparty: str
    memo: str
    created_at: datetime
    hash: str


class DonationOut(Schema):
    fund_id: int
    community_id: int
    receipt: str
    donor: str
    donor_kind: str
    amount: Decimal
    method: str
    paid_on: date
    purpose_category: str
    purpose_proposal_id: int | None
    reversed: bool

    @staticmethod
    def resolve_community_id(obj) -> int:
        return obj.fund.community_id

    @staticmethod
    def resolve_receipt(obj) -> str:
        return obj.receipt_number

    @staticmethod
    def resolve_donor(obj) -> str:
        return obj.public_name  # the name only with the donor's consent (R21)

    @staticmethod
    def resolve_reversed(obj) -> bool:
        return obj.reversed_at is not None


# --------------------------------------------------------------------------- the 三社联动 half (R16–R20)


class NeedOut(Row):
    """A need as the public ledger shows it (R16): never who raised it, for whom, or where they live."""

    text: str
    category: str
    status: str
    support_count: int
    raised_at: datetime
    due_at: datetime
    answered_at: datetime | None
    project_id: int | None
    project: str | None
    merged_into_id: int | None
    decline_reason: str

    @staticmethod
    def resolve_support_count(obj) -> int:
        return obj.support_count  # annotated by the view (one query for the page)

    @staticmethod
    def resolve_project(obj) -> str | None:
        return obj.project.title if obj.project_id else None

    @staticmethod
    def resolve_decline_reason(obj) -> str:
        return obj.answer_reason if obj.status == "declined" else ""


class ClaimOut(Schema):
    organisation_id: int
    organisation: str
    status: str


class RatingsOut(Schema):
    count: int
    average: Decimal | None


class ServiceProjectOut(Row):
    """A service project (R17) with who serves it and how it went; residents' ratings only as a summary."""

    title: str
    description: str
    status: str
    people_target: int
    starts_on: date
    ends_on: date
    listed_at: datetime
    completed_at: datetime | None
    need_ids: list[int]
    organisation: str | None
    claims: list[ClaimOut]
    people_served: int
    hours: Decimal
    ratings: RatingsOut
    report: str
    close_reason: str

    @staticmethod
    def resolve_need_ids(obj) -> list[int]:
        return [n.pk for n in obj.needs.all()]

    @staticmethod
    def resolve_organisation(obj) -> str | None:
        return next((c.organisation.name for c in obj.claims.all() if c.status == "confirmed"), None)

    @staticmethod
    def resolve_claims(obj) -> list[dict]:
        return [{"organisation_id": c.organisation_id, "organisation": c.organisation.name, "status": c.status}
                for c in obj.claims.all()]

    @staticmethod
    def resolve_people_served(obj) -> int:
        return obj.served_sum or 0

    @staticmethod
    def resolve_hours(obj) -> Decimal:
        return Decimal(obj.hours_sum or 0).quantize(Decimal("0.1"))

    @staticmethod
    def resolve_ratings(obj) -> dict:
        average = Decimal(obj.rating_avg).quantize(Decimal("0.01")) if obj.rating_avg is not None else None
        return {"count": obj.rating_count or 0, "average": average}


class OrganisationOut(Schema):
    """An organisation (R18): public registry data; never its members."""

    id: int
    name: str
    kind: str
    status: str
    credit_code: str
    description: str
    community_ids: list[int]
    registered_at: datetime

    @staticmethod
    def resolve_community_ids(obj) -> list[int]:
        return sorted(c.pk for c in obj.communities.all())


class GrantCallOut(Row):
    """A micro-grant call (R19) with its totals; ``purpose`` is the category donors' designated money may fund."""

    fund_id: int
    title: str
    purpose: str
    pool: Decimal
    cap: Decimal
    applications_close: datetime
    ends_on: date
    status: str
    opened_at: datetime
    closed_at: datetime | None
    applications: int
    awards: int
    awarded: Decimal
    matched: Decimal
    leverage: Decimal | None
    people_served: int

    @staticmethod
    def resolve_purpose(obj) -> str:
        return obj.purpose_category

    @staticmethod
    def resolve_applications(obj) -> int:
        return obj.application_count or 0

    @staticmethod
    def resolve_awards(obj) -> int:
        return obj.award_count or 0

    @staticmethod
    def resolve_awarded(obj) -> Decimal:
        return yuan(obj.awarded_sum)

    @staticmethod
    def resolve_matched(obj) -> Decimal:
        return yuan(obj.matched_sum)

    @staticmethod
    def resolve_leverage(obj) -> Decimal | None:
        return leverage(obj.matched_sum, obj.awarded_sum)

    @staticmethod
    def resolve_people_served(obj) -> int:
        return obj.served_sum or 0


def yuan(value) -> Decimal:
    """A sum of money to the fen (SQLite's subquery sums lose the decimal places)."""
    return Decimal(value or 0).quantize(Decimal("0.01"))


def leverage(matched, awarded) -> Decimal | None:
    """R19: matched resources ÷ money awarded, to two places."""
    if not awarded:
        return None
    return (Decimal(matched or 0) / Decimal(awarded)).quantize(Decimal("0.01"))


class GrantAwardOut(Row):
    """An award (R19): amounts, leverage, and the grantee's report figures; residents who applied are not named."""

    call_id: int
    title: str
    organisation_id: int | None
    organisation: str | None
    amount: Decimal
    first_tranche: Decimal
    matched: Decimal
    leverage: Decimal | None
    status: str
    awarded_at: datetime
    people_served: int | None
    spent: Decimal | None
    reported_at: datetime | None
    accepted_at: datetime | None

    @staticmethod
    def resolve_community_id(obj) -> int:
        return obj.call.community_id

    @staticmethod
    def resolve_title(obj) -> str:
        return obj.application.title

    @staticmethod
    def resolve_organisation_id(obj) -> int | None:
        return obj.application.organisation_id

    @staticmethod
    def resolve_organisation(obj) -> str | None:
        return obj.application.organisation.name if obj.application.organisation_id else None

    @staticmethod
    def resolve_matched(obj) -> Decimal:
        return obj.application.matched

    @staticmethod
    def resolve_leverage(obj) -> Decimal | None:
        return leverage(obj.application.matched, obj.amount)


class CandidateResultOut(Schema):
    name: str
    votes: int
    elected: bool


class ElectionRoundOut(Schema):
    number: int
    seats: int
    roll_size: int
    ballots_cast: int
    blank_ballots: int
    turnout_percent: Decimal
    valid: bool
    closed_at: datetime
    candidates: list[CandidateResultOut]

    @staticmethod
    def resolve_turnout_percent(obj) -> Decimal:
        if not obj.roll_size:
            return Decimal("0.0")
        return (Decimal(100 * obj.ballots_cast) / obj.roll_size).quantize(Decimal("0.1"))

    @staticmethod
    def resolve_candidates(obj) -> list[dict]:
        rows = [{"name": c.user.display_name, "votes": obj.votes_for(c), "elected": c.elected_round == obj.number}
                for c in obj.candidates.all()]
        return sorted(rows, key=lambda r: (-r["votes"], r["name"]))


class ElectionOut(Row):
    """An election's results (R20) as the results notice publishes them: counts and names, never a ballot or the roll."""

    body: str
    kind: str
    group_id: int | None
    seats: int
    uncontested: bool
    status: str
    opens_at: datetime
    closes_at: datetime
    finished_at: datetime | None
    term_years: int
    elected: list[str]
    rounds: list[ElectionRoundOut]

    @staticmethod
    def resolve_body(obj) -> str:
        return obj.body_name

    @staticmethod
    def resolve_kind(obj) -> str:
        return "council" if obj.council_id else "board"

    @staticmethod
    def resolve_elected(obj) -> list[str]:
        return sorted(c.user.display_name for c in obj.candidates.all() if c.result == "elected")

    @staticmethod
    def resolve_rounds(obj) -> list:
        return list(obj.counted_rounds)  # prefetched by the view: counted rounds only
