"""Views of the money pages, by who uses them: street office, group council (money), supervision, reports."""

from .foundation import (  # noqa: F401
    donation_add,
    donation_public,
    donation_receipt,
    donation_reverse,
    donations_manage,
    foundation_list,
    foundation_page,
    foundation_settings,
    monthly_accounts,
)
from .money import (  # noqa: F401
    acceptance_add,
    bid_add,
    bid_choose,
    contribution_add,
    contribution_reverse,
    proposal_money,
    refund_paid,
    settlement_add,
)
from .tenders import (  # noqa: F401
    tender_ballot,
    tender_bid,
    tender_detail,
    tender_list,
    tender_publish,
    tender_select,
    tender_vote,
)
from .reports import accounts_export, charts, ledger_export  # noqa: F401
from .street import (  # noqa: F401
    budget_approve,
    budget_return,
    fund_correct,
    fund_create,
    fund_detail,
    fund_inflow,
    funds,
    release,
    review_queue,
)
from .supervision import (  # noqa: F401
    checkpoint_list,
    checkpoint_list_json,
    history_check,
    history_run_request,
    hold_add,
    hold_lift,
    opinion_add,
    supervision,
    supervision_detail,
)
