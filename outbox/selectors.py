"""Reads of the outbox: how much is waiting, and for how long."""

from django.db.models import Count, Min, Q
from django.utils import timezone

from .models import OutboxMessage


def outbox_backlog() -> dict:
    """``pending`` rows, of which ``failing`` failed at least once, and the age of the oldest in seconds."""
    row = OutboxMessage.objects.filter(delivered_at__isnull=True).aggregate(
        pending=Count("pk"), failing=Count("pk", filter=Q(attempts__gt=0)), oldest=Min("created_at")
    )
    oldest = row["oldest"]
    return {
        "pending": row["pending"],
        "failing": row["failing"],
        "oldest_pending_seconds": int((timezone.now() - oldest).total_seconds()) if oldest else None,
    }
