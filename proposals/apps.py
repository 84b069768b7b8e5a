from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProposalsConfig(AppConfig):
    name = "proposals"
    verbose_name = _("议案")

    def ready(self):
        from yishi.chain import register_chain, register_chain_rows, register_check

        from . import integrity
        from .history import verify_proposal_chains
        from .models import ProposalEvent

        register_chain("proposal_events", verify_proposal_chains)
        register_chain_rows("proposal_events", ProposalEvent, "proposal_id")
        register_check("proposal_status", integrity.check_proposal_status)
        register_check("ballots", integrity.check_ballots)
        register_check("resolutions", integrity.check_resolutions)
