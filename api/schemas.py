"""What the open data API publishes, field by field (R22).

Every schema lists its fields explicitly: a field that is not here is never
published. Never here: phone numbers, addresses, contributors' names, the
names of donors who did not consent, drafts, authors, who voted or how.
"""

from datetime import date, datetime
from decimal import Decimal

from ninja import Schema


class CommunityOut(Schema):
    id: int
    name: str
    subdistrict: str
    council_size: int

    @staticmethod
    def resolve_subdistrict(obj) -> str:
        return obj.subdistrict.name


class GroupOut(Schema):
    id: int
    name: str
    community_id: int


class MemberOut(Schema):
    name: str
    role: str


class CouncilOut(Schema):
    id: int
    kind: str
    name: str
    community_id: int
    group_id: int | None
    members: list[MemberOut]

    @staticmethod
    def resolve_members(obj) -> list[dict]:
        # ``current_seats`` is prefetched by the view (one query for the page).
        return [{"name": seat.user.display_name, "role": seat.role} for seat in obj.current_seats]


class ProposalOut(Schema):
    id: int
    title: str
    summary: str
    category: str
    status: str
    community_id: int
    group_id: int
    group: str
    total: Decimal
    community_share: Decimal
    created_at: datetime
    by_party: bool  # R23 党组织提议

    @staticmethod
    def resolve_community_id(obj) -> int:
        return obj.group.community_id

    @staticmethod
    def resolve_group(obj) -> str:
        return obj.group.name


class NoticeOut(Schema):
    id: int
    proposal_id: int
    community_id: int
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


class BallotOut(Schema):
    id: int
    proposal_id: int
    community_id: int
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


class FundOut(Schema):
    id: int
    community_id: int
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


class TenderBidOut(Schema):
    organisation: str
    amount: Decimal
    votes: int
    selected: bool


class TenderOut(Schema):
    """R24: a tender; its bids only after the close (sealed before it: an empty list, no count of who)."""

    id: int
    community_id: int
    proposal_id: int | None
    project_id: int | None
    title: str
    requirements: str
    budget: Decimal | None
    published_at: datetime
    closes_at: datetime
    votes_close_at: datetime
    sealed: bool
    bids: list[TenderBidOut]

    @staticmethod
    def resolve_sealed(obj) -> bool:
        return obj.is_sealed()

    @staticmethod
    def resolve_bids(obj) -> list[dict]:
        if obj.is_sealed():
            return []
        # ``open_bids`` is prefetched by the view with the vote counts (one query for the page).
        return [
            {"organisation": b.organisation.name, "amount": b.amount, "votes": b.n_votes,
             "selected": b.selected_at is not None}
            for b in obj.open_bids
        ]
