from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProposalsConfig(AppConfig):
    name = "proposals"
    verbose_name = _("议案")

    def ready(self):
        from yishi.chain import register_chain

        from .history import verify_proposal_chains

        register_chain("proposal_events", verify_proposal_chains)
