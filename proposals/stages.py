"""The stage stepper of the proposal page (issue 10): eight stages a resident can follow,
where the proposal is, what comes next, who acts and by when.

Pure presentation over ``ProposalStatus``: the services decide every step.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .enums import ProposalStatus as S

STAGES = [
    ("draft", _("草稿"), (S.DRAFT,)),
    ("group", _("小组商议"), (S.GROUP_REVIEW, S.ADOPTED)),
    ("notice", _("公示"), (S.NOTICE,)),
    ("vote", _("社区表决"), (S.SUBMITTED, S.COMMUNITY_VOTE, S.REJECTED)),
    ("review", _("预算审核"), (S.APPROVED,)),
    ("funding", _("筹资拨付"), (S.FUNDED,)),
    ("works", _("实施"), (S.RELEASED, S.IN_PROGRESS)),
    ("accounts", _("验收决算"), (S.ACCEPTED, S.SETTLED)),
]

# status: (who acts, what they do next)
NEXT = {
    S.DRAFT: (_("提议人"), _("修改完善后提交小组议事会")),
    S.GROUP_REVIEW: (_("小组议事会"), _("商议并表决，过半数赞成形成决议")),
    S.ADOPTED: (_("小组议事会"), _("在小组内公示决议")),
    S.NOTICE: (_("本小组居民"), _("公示期内可以提出异议；小组议事会逐条答复")),
    S.SUBMITTED: (_("社区工作人员"), _("发起社区议事会表决")),
    S.COMMUNITY_VOTE: (_("社区议事会成员"), _("投票；全体成员三分之二以上赞成才通过")),
    S.APPROVED: (_("街道办"), _("审核预算，核定公服资金")),
    S.FUNDED: (_("小组议事会和街道办"), _("收齐居民自筹，然后拨付公服资金")),
    S.RELEASED: (_("小组议事会"), _("比选施工方并签约")),
    S.IN_PROGRESS: (_("小组议事会和监督人员"), _("施工完成后验收")),
    S.ACCEPTED: (_("小组议事会"), _("登记决算，结余按比例退还")),
}


# R23 五步工作法: each of Chengdu's five steps, who acts in it, and the stages it covers.
# The fifth (监委会监督) runs beside all the others, from the first draft to the accounts.
FIVE_STEPS = [
    ("propose", _("党组织提议"), _("社区党组织或本小组居民提出议案"), ("draft",)),
    ("decide", _("议事会议决"), _("小组议事会表决、公示，社区议事会三分之二以上通过"), ("group", "notice", "vote")),
    ("implement", _("居委会实施"), _("居委会（社区工作人员）和小组议事会筹资、比选、施工；街道办审核拨付"),
     ("review", "funding", "works")),
    ("accept", _("党组织评议验收"), _("社区党组织成员牵头、监督人员到场验收，居民评议"), ("accounts",)),
    ("supervise", _("监委会监督"), _("监事会（居务监督委员会）全程监督，可以暂停拨付"), ()),
]


@dataclass
class FiveStep:
    key: str
    label: str
    who: str
    state: str  # "done", "current", "todo"


def five_steps(steps, *, finished: bool, stopped: bool) -> list[FiveStep]:
    """The five steps with their state, from the eight stages' states."""
    by_key = {s.key: s.state for s in steps}
    out = []
    for key, label, who, stages in FIVE_STEPS:
        if not stages:  # supervision runs throughout
            state = "done" if finished else ("todo" if stopped else "current")
        else:
            states = [by_key[k] for k in stages]
            if all(st == "done" for st in states):
                state = "done"
            elif any(st in ("current", "done") for st in states):
                state = "current"
            else:
                state = "todo"
        out.append(FiveStep(key, label, who, state))
    return out


@dataclass
class Step:
    key: str
    label: str
    state: str  # "done", "current", "todo"


def stepper(proposal, *, notice=None, open_ballot=None) -> dict:
    """Steps with their state, and for the current one who acts next and by when (or None)."""
    status = proposal.status
    index = next((i for i, (_k, _l, statuses) in enumerate(STAGES) if status in statuses), None)
    finished = status == S.SETTLED
    steps = []
    for i, (key, label, _statuses) in enumerate(STAGES):
        if index is None:
            state = "todo"
        elif i < index or (finished and i == index):
            state = "done"
        elif i == index:
            state = "current"
        else:
            state = "todo"
        steps.append(Step(key, label, state))
    who, what = NEXT.get(status, (None, None))
    by = None
    if status == S.NOTICE and notice is not None:
        by = notice.ends_at
    elif status in (S.GROUP_REVIEW, S.COMMUNITY_VOTE) and open_ballot is not None:
        by = open_ballot.closes_at
    stopped = status in (S.REJECTED, S.WITHDRAWN)
    return {
        "steps": steps,
        "five_steps": five_steps(steps, finished=finished, stopped=stopped),
        "current": STAGES[index][1] if index is not None else None,
        "next_stage": STAGES[index + 1][1] if index is not None and index + 1 < len(STAGES) and not finished else None,
        "who": who,
        "what": what,
        "by": by,
        "stopped": stopped,
        "finished": finished,
        "status": status,
    }
