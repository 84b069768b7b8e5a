"""Extension points that let the funding app take part without proposals importing it.

Dependencies point funding -> proposals -> councils. Where a proposals service
needs an answer or a step that only funding knows (the fund's cap on the
community share; cancelling a reservation when a funded proposal is withdrawn),
funding registers a function here in its ``AppConfig.ready``.
"""

from fractions import Fraction

# R3: the cap on the community share until a fund says otherwise.
DEFAULT_SHARE_CAP = Fraction(1, 2)

_share_cap_lookup = None
_negative_list_lookup = None
_transition_hooks: list = []


def register_share_cap_lookup(fn) -> None:
    """``fn(community) -> Fraction | None``: the cap of the fund that would pay."""
    global _share_cap_lookup
    _share_cap_lookup = fn


def share_cap(community) -> Fraction:
    if _share_cap_lookup is not None:
        cap = _share_cap_lookup(community)
        if cap is not None:
            return cap
    return DEFAULT_SHARE_CAP


def register_negative_list_lookup(fn) -> None:
    """``fn(community) -> list[str] | None``: the categories the fund that would pay refuses (R8)."""
    global _negative_list_lookup
    _negative_list_lookup = fn


def negative_list(community) -> list[str]:
    """Categories public money may not pay for: the fund's list, or the default one without a fund."""
    from .enums import DEFAULT_NEGATIVE_LIST

    if _negative_list_lookup is not None:
        found = _negative_list_lookup(community)
        if found is not None:
            return list(found)
    return list(DEFAULT_NEGATIVE_LIST)


def register_transition_hook(fn) -> None:
    """``fn(proposal=, from_status=, to_status=, actor=)``, called inside the transition's transaction."""
    if fn not in _transition_hooks:
        _transition_hooks.append(fn)


def run_transition_hooks(**kwargs) -> None:
    for fn in _transition_hooks:
        fn(**kwargs)
