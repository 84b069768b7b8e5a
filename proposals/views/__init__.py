"""Proposal pages (issue 4): public, residents, group-council and community-council members.

Split by who uses them: ``public`` (list, proposal page, poster), ``drafting``
(the proposal form), ``actions`` (POST-only steps on a proposal), ``group``
(my group, review queue), ``ballots`` and ``meetings``. ``access`` holds the
scope rules every view asks.
"""

from .actions import (
    community_ballot_open,
    follow,
    group_ballot_open,
    notice_publish,
    objection_answer,
    objection_file,
    rate,
    return_draft,
    submit,
    submit_to_community,
    withdraw,
)
from .ballots import ballot, ballot_close, ballot_tally, my_ballots, vote, vote_confirm
from .drafting import create, edit
from .group import my_group, review_queue
from .meetings import agenda_add, meeting_detail, meeting_new, meetings, roadshow_question, roadshow_record
from .public import detail, poster, public_list

__all__ = [
    "agenda_add", "ballot", "ballot_close", "ballot_tally", "community_ballot_open", "create", "detail", "edit",
    "follow", "group_ballot_open", "meeting_detail", "meeting_new", "meetings", "my_ballots", "my_group", "roadshow_question", "roadshow_record",
    "notice_publish", "objection_answer", "objection_file", "poster", "public_list", "rate", "return_draft",
    "review_queue", "submit", "submit_to_community", "vote", "vote_confirm", "withdraw",
]
