"""Build a city at real density for load tests (the benchmark in scripts/bench.sh).

Default: one subdistrict — 20 communities with 37-seat councils, 400 resident groups with 5-seat
councils, 40 000 verified residents, 20 000 proposals over every state with their ballots and
votes, notices, objections, holds, opinions, meetings, ≈50 000 ledger entries (40 000 of them
foundation donations with receipts) and notifications; and in every community organisations, needs,
service projects, a micro-grant call and a group-council election. It ends with a full history
run that must pass and a signed checkpoint. ``--scale 10`` builds ten subdistricts (a district).
It fills an empty database only (``--if-empty``: a database that already holds a scale city is
left as it is).
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from councils.models import Subdistrict
from funding.models import HistoryRun
from portal import scale


# Named sizes (--size): the options they set, and what they are for.
SIZES = {
    "tiny": (dict(communities=1, groups=2, residents=24, proposals=20, donations=3300), "tests (seconds)"),
    "small": (dict(communities=2, groups=4, residents=40, proposals=30, donations=4000), "a quick look (a minute)"),
    "subdistrict": (dict(communities=20, groups=20, residents=100, proposals=50, donations=40000),
                    "the default, one real subdistrict"),
}


class Command(BaseCommand):
    help = "Fill an empty database with a city at real density (for scripts/bench.sh). Password: yishi-bench."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=1, help="Subdistricts to build (10: a district).")
        parser.add_argument("--communities", type=int, help="Communities per subdistrict.")
        parser.add_argument("--groups", type=int, help="Resident groups per community.")
        parser.add_argument("--residents", type=int, help="Verified residents per group (≥ 7).")
        parser.add_argument("--proposals", type=int, help="Proposals per group.")
        parser.add_argument("--donations", type=int,
                            help="Foundation ledger entries per subdistrict (the first fund gets ≥ 3 300).")
        parser.add_argument("--seed", type=int, default=8, help="Random seed (the same seed, the same city).")
        parser.add_argument("--if-empty", action="store_true",
                            help="Exit quietly (status 0) when the database already holds a scale city.")
        parser.add_argument("--no-sanshe", action="store_true",
                            help="Leave out organisations, needs, projects, micro-grants and elections.")
        parser.add_argument("--no-verify", action="store_true",
                            help="Skip the closing history run and checkpoint (faster; verify_history then "
                                 "warns that there is no checkpoint).")
        parser.add_argument("--size", choices=sorted(SIZES), default="subdistrict",
                            help="A named size of one subdistrict: "
                            + "; ".join(f"{k} ({v[1]})" for k, v in sorted(SIZES.items()))
                            + ". The options above, when given, win over it.")

    def handle(self, *args, **o):
        for key, value in SIZES[o["size"]][0].items():
            if o.get(key) is None:
                o[key] = value
        if o["residents"] < 7 or o["scale"] < 1 or o["communities"] < 1 or o["groups"] < 2:
            raise CommandError("Each group needs at least 7 residents (5 on the council); scale, "
                               "communities ≥ 1 and groups ≥ 2.")
        if o["groups"] * (o["residents"] - 5) < 37:
            raise CommandError("A community council has 37 seats, drawn from residents 6… of its groups: "
                               "groups × (residents − 5) must be at least 37.")
        out = lambda msg, ending="\n": (self.stdout.write(msg, ending=ending), self.stdout.flush())  # noqa: E731
        ours = Subdistrict.objects.filter(slug__startswith=scale.SLUG_PREFIX + "-").count()
        existing = Subdistrict.objects.count()
        passed = HistoryRun.objects.filter(ok=True).exists()
        if existing:
            if not o["if_empty"] or existing != ours:
                raise CommandError(
                    f"This database already holds {existing} subdistrict(s). seed_scale fills an empty database "
                    "only; create a fresh one (createdb yishi_bench, then migrate) and point DATABASE_URL at it."
                )
            if ours >= o["scale"] and (passed or o["no_verify"]):
                self.stdout.write(f"A scale city of {ours} subdistrict(s) is already here; nothing to do.")
                return
            if ours < o["scale"]:
                self.stdout.write(f"A scale city of {ours} subdistrict(s) is already here; building the rest.")
            else:
                self.stdout.write(f"A scale city of {ours} subdistrict(s) is already here; its history run is "
                                  "missing: running it.")
        skip = {scale.SANSHE_STEP} if o["no_sanshe"] else set()
        started = time.monotonic()
        counts = {}
        city = None
        # One subdistrict at a time, each in its own transaction: memory stays one subdistrict's
        # worth at any scale, and an interrupted run resumes (--if-empty) after the last one built.
        for number in range(ours + 1, o["scale"] + 1):
            if o["scale"] > 1:
                out(f"Subdistrict {number} of {o['scale']}")
            city = scale.City(
                first=number, subdistricts=1, communities=o["communities"], groups=o["groups"],
                residents=o["residents"], proposals=o["proposals"], donations=o["donations"],
                seed=o["seed"] + 1000 * (number - 1), out=out, skip=skip,
            )
            with transaction.atomic():
                for key, value in scale.run(city).items():
                    counts[key] = counts.get(key, 0) + value
        scale.analyze()
        if not o["no_verify"]:
            out("History run and checkpoint …")
            try:
                with transaction.atomic():
                    scale.verified(city or scale.City(out=out))
            except scale.CityInvalid as exc:
                raise CommandError(f"{exc}. Drop this database and report the seeder's bug.") from exc
        if counts:
            width = max(len(k) for k in counts)
            for key, value in sorted(counts.items()):
                self.stdout.write(f"  {key:<{width}}  {value:>9,}")
        self.stdout.write(self.style.SUCCESS(
            f"Scale city built in {time.monotonic() - started:.0f} s. Every account's password: {scale.PASSWORD}"
        ))
