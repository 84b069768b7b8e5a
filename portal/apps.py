from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _

# The apps whose models' choice labels are shown on every page (timelines, badges, ledgers).
CHOICE_APPS = ("councils", "proposals", "funding", "notifications")


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("门户")

    def ready(self):
        from yishi.choices import install_fast_choice_displays

        install_fast_choice_displays(m for m in apps.get_models() if m._meta.app_label in CHOICE_APPS)
