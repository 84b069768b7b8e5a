"""Verify the history and sign a checkpoint of every chain's head (what the daily job does).

Prints the signed text to keep. Refuses (non-zero exit) when the history does
not verify: tampering is never signed. ``--restart`` after a lost key: verify
the chains and cross-checks, skip the unverifiable previous checkpoint, and
start a new series, marked "restarted" in the published text.
"""

from django.core.management.base import BaseCommand, CommandError

from funding.checkpoints import CheckpointRefused, checkpoint_write


class Command(BaseCommand):
    help = "Verify the history and sign a checkpoint of the chain heads (R14)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--restart", action="store_true",
            help="The previous checkpoint's key is lost: do not compare with it and start a new series.",
        )

    def handle(self, *args, restart=False, **options):
        try:
            checkpoint, created = checkpoint_write(restart=restart)
        except CheckpointRefused as refused:
            raise CommandError(str(refused)) from refused
        verb = "Wrote" if created else "Nothing appended since"
        self.stdout.write(self.style.SUCCESS(f"{verb} checkpoint #{checkpoint.number}."))
        self.stdout.write(checkpoint.signed_text, ending="")
