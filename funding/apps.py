from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundingConfig(AppConfig):
    name = "funding"
    verbose_name = _("资金")

    def ready(self):
        # Funding plugs into proposals without proposals importing funding (docs/domain.md: dependencies).
        from proposals import hooks
        from yishi.chain import register_chain, register_chain_rows, register_check

        from .integrity import check_contributions
        from .ledger import verify_fund_chains
        from .models import LedgerEntry
        from .selectors import negative_list_for, share_cap_for
        from .services import on_proposal_transition

        hooks.register_share_cap_lookup(share_cap_for)
        hooks.register_negative_list_lookup(negative_list_for)
        hooks.register_transition_hook(on_proposal_transition)
        register_chain("fund_ledger", verify_fund_chains)
        register_chain_rows("fund_ledger", LedgerEntry, "fund_id")
        register_check("contributions", check_contributions)
