from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("通知")

    def ready(self) -> None:
        from outbox.services import register_handler
        from proposals.history import EVENT_TOPIC

        from . import services

        # Every proposal event reaches its people through the outbox (written with the event);
        # mail that could not go out is retried the same way.
        register_handler(EVENT_TOPIC, lambda ref: services.event_notify(event_id=ref))
        register_handler(services.MAIL_TOPIC, lambda ref: services.notification_mail_send(notification_id=ref))
