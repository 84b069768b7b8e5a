"""Build a city at real density for load tests (the benchmark in scripts/bench.sh).

Default: one subdistrict — 20 communities with 37-seat councils, 400 resident groups with 5-seat
councils, 40 000 verified residents, 20 000 proposals over every state with their ballots and
votes, notices, objections, holds, opinions, meetings, ≈50 000 ledger entries and notifications.
``--scale 10`` builds ten subdistricts (a district). It fills an empty database only.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from councils.models import Subdistrict
from portal import scale


class Command(BaseCommand):
    help = "Fill an empty database with a city at real density (for scripts/bench.sh). Password: yishi-bench."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=1, help="Subdistricts to build (10: a district).")
        parser.add_argument("--communities", type=int, default=20, help="Communities per subdistrict.")
        parser.add_argument("--groups", type=int, default=20, help="Resident groups per community.")
        parser.add_argument("--residents", type=int, default=100, help="Verified residents per group (≥ 7).")
        parser.add_argument("--proposals", type=int, default=50, help="Proposals per group.")
        parser.add_argument("--donations", type=int, default=40000,
                            help="Foundation ledger entries per subdistrict (the first fund gets ≥ 3 300).")
        parser.add_argument("--seed", type=int, default=8, help="Random seed (the same seed, the same city).")
        parser.add_argument("--if-empty", action="store_true",
                            help="Exit quietly (status 0) when the database already holds a scale city.")

    def handle(self, *args, **o):
        if o["residents"] < 7 or o["scale"] < 1 or o["communities"] < 1 or o["groups"] < 2:
            raise CommandError("Each group needs at least 7 residents (5 on the council); scale, "
                               "communities ≥ 1 and groups ≥ 2.")
        if o["groups"] * (o["residents"] - 5) < 37:
            raise CommandError("A community council has 37 seats, drawn from residents 6… of its groups: "
                               "groups × (residents − 5) must be at least 37.")
        existing = Subdistrict.objects.count()
        if existing:
            if o["if_empty"] and Subdistrict.objects.filter(slug__startswith=scale.SLUG_PREFIX + "-").exists():
                self.stdout.write("A scale city is already here; nothing to do.")
                return
            raise CommandError(
                f"This database already holds {existing} subdistrict(s). seed_scale fills an empty database "
                "only; create a fresh one (createdb yishi_bench, then migrate) and point DATABASE_URL at it."
            )
        # Residents per group also bound the community council: 37 seats drawn from every group.
        city = scale.City(
            subdistricts=o["scale"], communities=o["communities"], groups=o["groups"], residents=o["residents"],
            proposals=o["proposals"], donations=o["donations"] * o["scale"], seed=o["seed"],
            out=lambda msg, ending="\n": (self.stdout.write(msg, ending=ending), self.stdout.flush()),
        )
        started = time.monotonic()
        with transaction.atomic():
            counts = scale.run(city)
        width = max(len(k) for k in counts)
        for key, value in sorted(counts.items()):
            self.stdout.write(f"  {key:<{width}}  {value:>9,}")
        self.stdout.write(self.style.SUCCESS(
            f"Scale city built in {time.monotonic() - started:.0f} s. Every account's password: {scale.PASSWORD}"
        ))
