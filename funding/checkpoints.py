"""Verifying the whole history, signed checkpoints of the chain heads, and background runs (R14).

Three layers, each closing a gap the one before leaves:

1. every registered hash chain is walked link by link (``yishi.chain.CHAINS``);
2. cross-checks tie rows kept outside any chain to the events that recorded
   them (``yishi.chain.CHECKS``: status, ballots and votes, resolutions,
   contributions);
3. the heads of all chains (last seq and hash) are compared with the last
   checkpoint, which is signed with HMAC-SHA256 under ``YISHI_CHECKPOINT_KEY``.
   Deleting a chain's last row, or rewriting a chain and recomputing every
   hash with ``yishi.chain.link_hash``, no longer matches it; without the key
   nobody can sign a checkpoint that does.

A checkpoint is written (daily by celery beat, or ``manage.py
history_checkpoint``) only after all three pass, so tampering is never signed.
Its ``signed_text`` is published (``/history/checkpoints/``) for supervisors and
the public to keep; ``verify_history --kept FILE`` compares kept copies with
the database. The history page shows the last ``HistoryRun`` instead of
re-hashing every row per request.
"""

import hashlib
import hmac
import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from proposals.models import Proposal
from yishi.chain import CHAIN_ROWS, CHAINS, CHECKS, Finding, canonical, chain_heads, hashes_at
from yishi.errors import DomainError

from .models import Fund, HistoryCheckpoint, HistoryFinding, HistoryRun

logger = logging.getLogger(__name__)

TITLE = "Yishi history checkpoint"
# A run asked for from the page that has not finished after this long is taken as lost (worker died).
STALE_RUN = timedelta(hours=1)
# A run keeps at most this many findings; the count says how many there were.
MAX_STORED_FINDINGS = 1000
# verify_history warns when the last checkpoint is older than this (the daily job has stopped).
CHECKPOINT_WARN_AGE = timedelta(hours=36)


# --------------------------------------------------------------------------- keys and signatures


def key_id(key: str) -> str:
    """A public name for a key (derived from it, revealing nothing of it)."""
    return hmac.new(key.encode(), b"yishi-checkpoint-key-id", hashlib.sha256).hexdigest()[:16]


def known_keys() -> dict[str, str]:
    """{key id: key} of the current key and the old ones still accepted for verifying."""
    keys = [settings.YISHI_CHECKPOINT_KEY, *getattr(settings, "YISHI_CHECKPOINT_OLD_KEYS", [])]
    return {key_id(k): k for k in keys if k}


def sign(text: str, key: str) -> str:
    return hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()


def heads_digest(heads: dict) -> str:
    return hashlib.sha256(canonical(heads).encode()).hexdigest()


def text_digest(signed_text: str) -> str:
    return hashlib.sha256(signed_text.encode()).hexdigest()


def collect_heads(names=None) -> dict:
    """{chain name: {chain id (str): [seq, hash]}} for every chain whose rows are registered."""
    return {
        name: {str(chain_id): [seq, digest] for chain_id, (seq, digest) in sorted(chain_heads(name).items())}
        for name in sorted(names or CHAIN_ROWS)
    }


def checkpoint_text(*, number, created_at, previous, heads, key, restarted=False) -> str:
    summary = "; ".join(
        f"{name} {len(chains)} chains, {sum(seq for seq, _h in chains.values())} rows"
        for name, chains in sorted(heads.items())
    )
    lines = [
        TITLE,
        f"number: {number}",
        f"created_at: {created_at.isoformat(timespec='seconds')}",
        f"previous: {previous or 'none'}",
        f"chains: {summary}",
        f"heads_sha256: {heads_digest(heads)}",
        f"key_id: {key_id(key)}",
    ]
    if restarted:
        lines.append("restarted: previous checkpoint not verified (key lost or replaced)")
    return "\n".join(lines) + "\n"


def checkpoint_findings(checkpoint: HistoryCheckpoint) -> list[Finding]:
    """Is the checkpoint itself intact: signed by a known key, its heads those its text names?"""
    table = HistoryCheckpoint._meta.db_table
    found = []
    key = known_keys().get(checkpoint.key_id)
    if f"key_id: {checkpoint.key_id}\n" not in checkpoint.text:
        found.append(Finding("checkpoint", table, checkpoint.pk, "key_id differs from the one in its signed text"))
    if key is None:
        found.append(Finding(
            "checkpoint", table, checkpoint.pk,
            f"checkpoint #{checkpoint.number} was signed with key id {checkpoint.key_id}, which is neither "
            f"YISHI_CHECKPOINT_KEY nor in YISHI_CHECKPOINT_OLD_KEYS: its signature cannot be verified",
        ))
    elif not hmac.compare_digest(sign(checkpoint.text, key), checkpoint.signature):
        found.append(Finding("checkpoint", table, checkpoint.pk,
                             f"checkpoint #{checkpoint.number}: the signature does not match its text"))
    digest = heads_digest(checkpoint.heads)
    if digest != checkpoint.heads_sha256 or f"heads_sha256: {digest}\n" not in checkpoint.text:
        found.append(Finding("checkpoint", table, checkpoint.pk,
                             f"checkpoint #{checkpoint.number}: its stored heads differ from the signed digest"))
    return found


def compare_heads(heads: dict, *, label: str) -> list[Finding]:
    """Every chain still reaches each recorded head: the row at that seq exists with that hash."""
    found = []
    for name, chains in sorted(heads.items()):
        if name not in CHAIN_ROWS:
            found.append(Finding("checkpoint", "-", None, f"{label} names chain {name!r}, which is not registered"))
            continue
        model, owner = CHAIN_ROWS[name]
        wanted = {int(chain_id): seq for chain_id, (seq, _h) in chains.items()}
        live = hashes_at(name, wanted.items())
        noun = owner[:-3]  # "proposal" / "fund"
        for chain_id, (seq, digest) in sorted((int(k), v) for k, v in chains.items()):
            ids = {"proposal_id": chain_id} if owner == "proposal_id" else {"fund_id": chain_id}
            row = live.get(chain_id)
            if row is None:
                found.append(Finding(
                    f"{name} vs checkpoint", model._meta.db_table, None,
                    f"{noun} {chain_id}: seq {seq} is missing, but {label} recorded the chain up to seq {seq} "
                    f"(rows were deleted)", **ids,
                ))
            elif row[1] != digest:
                found.append(Finding(
                    f"{name} vs checkpoint", model._meta.db_table, row[2],
                    f"{noun} {chain_id}, seq {seq}: hash differs from {label} (the chain was rewritten up to "
                    f"here)", **ids,
                ))
    return found


def series_findings() -> list[Finding]:
    """Checkpoints are numbered 1, 2, 3 … and each names the digest of the one before."""
    table = HistoryCheckpoint._meta.db_table
    found, previous, expected = [], None, None
    rows = HistoryCheckpoint.objects.order_by("number").values_list("pk", "number", "text", "signature", "restarted")
    for pk, number, text, signature, restarted in rows.iterator(chunk_size=500):
        if expected is not None and number != expected:
            found.append(Finding("checkpoint", table, pk, f"checkpoint #{expected} is missing (next is #{number})"))
        named = re.search(r"^previous: (\S+)$", text, re.M)
        named = named.group(1) if named else ""
        if previous is not None and named != previous and not restarted:
            found.append(Finding("checkpoint", table, pk,
                                 f"checkpoint #{number} does not name the digest of the checkpoint before it"))
        previous, expected = text_digest(f"{text}hmac_sha256: {signature}\n"), number + 1
    return found


def kept_findings(kept_text: str) -> list[Finding]:
    """Compare checkpoint texts a supervisor kept (one or more, as published) with the database."""
    table = HistoryCheckpoint._meta.db_table
    found = []
    blocks = [b for b in re.split(rf"(?m)^(?={re.escape(TITLE)}$)", kept_text.replace("\r\n", "\n")) if b.strip()]
    if not blocks:
        return [Finding("checkpoint", table, None, "the kept file holds no checkpoint text")]
    for block in blocks:
        block = block.strip("\n") + "\n"
        number = re.search(r"^number: (\d+)$", block, re.M)
        if number is None:
            found.append(Finding("checkpoint", table, None, "a kept checkpoint text has no number"))
            continue
        number = int(number.group(1))
        stored = HistoryCheckpoint.objects.filter(number=number).first()
        if stored is None:
            found.append(Finding("checkpoint", table, None,
                                 f"checkpoint #{number}, kept by you, is missing from the database"))
        elif stored.signed_text != block:
            found.append(Finding("checkpoint", table, stored.pk,
                                 f"checkpoint #{number} in the database differs from the copy you kept"))
    return found


# --------------------------------------------------------------------------- verification


@dataclass
class Verification:
    chains: dict = field(default_factory=dict)  # name -> {"chains": n, "rows": n, "broken": n}
    checks: dict = field(default_factory=dict)  # name -> findings
    findings: list = field(default_factory=list)
    checkpoint: HistoryCheckpoint | None = None
    warnings: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


def describe(name: str, chain_id, row, why: str) -> str:
    """"chain proposal_events, proposal 12, seq 3, row pk 40: why" — as verify_history always said."""
    owner = CHAIN_ROWS.get(name, (None, ""))[1]
    parts = [f"chain {name}", f"{owner[:-3]} {chain_id}" if owner else f"chain id {chain_id}"]
    if row is not None:
        if getattr(row, "seq", None) is not None:
            parts.append(f"seq {row.seq}")
        parts.append(f"row pk {row.pk}")
    return ", ".join(parts) + f": {why}"


def _chain_findings(name):
    model, owner = CHAIN_ROWS.get(name, (None, ""))
    table = model._meta.db_table if model is not None else name
    for chain_id, checked, bad, why in CHAINS[name]():
        finding = None
        if bad is not None or why:
            ids = {owner: chain_id} if owner in ("proposal_id", "fund_id") else {}
            finding = Finding(name, table, getattr(bad, "pk", None), describe(name, chain_id, bad, why), **ids)
        yield checked, finding


def history_verify(*, chains=None, checks=None, against_checkpoint: bool = True, kept_text: str | None = None,
                   progress=None) -> Verification:
    """Run the chains, the cross-checks and the comparison with the last checkpoint.

    ``chains``/``checks``: names to run (default all). ``progress(line)`` gets a
    line per chain and check as they finish (the command prints them).
    """
    result = Verification()
    say = progress or (lambda line: None)
    for name in sorted(CHAINS) if chains is None else chains:
        stats = result.chains[name] = {"chains": 0, "rows": 0, "broken": 0}
        for checked, finding in _chain_findings(name):
            stats["chains"] += 1
            stats["rows"] += checked
            if finding is not None:
                stats["broken"] += 1
                result.findings.append(finding)
        say(f"{name}: {stats['chains']} chains, {stats['rows']} rows verified, {stats['broken']} broken")
    for name in sorted(CHECKS) if checks is None else checks:
        found = list(CHECKS[name]())
        result.checks[name] = len(found)
        result.findings.extend(found)
        say(f"check {name}: {len(found)} differences")
    if against_checkpoint:
        last = HistoryCheckpoint.objects.order_by("-number").first()
        result.checkpoint = last
        if last is None:
            result.warnings.append("no checkpoint yet: run manage.py history_checkpoint (the daily job does)")
        else:
            found = series_findings() + checkpoint_findings(last) + compare_heads(last.heads, label=f"checkpoint #{last.number}")
            result.findings.extend(found)
            say(f"checkpoint #{last.number} of {last.created_at.isoformat(timespec='seconds')}: "
                f"{len(found)} differences")
            if timezone.now() - last.created_at > CHECKPOINT_WARN_AGE:
                result.warnings.append(
                    f"the last checkpoint (#{last.number}) is older than {CHECKPOINT_WARN_AGE}: is the daily job running?"
                )
    if kept_text is not None:
        found = kept_findings(kept_text)
        result.findings.extend(found)
        say(f"kept copies: {len(found)} differences")
    return result


# --------------------------------------------------------------------------- checkpoints


class CheckpointRefused(DomainError):
    pass


def checkpoint_write(*, restart: bool = False, verification: Verification | None = None):
    """Sign the current chain heads as the next checkpoint. Returns (checkpoint, created).

    Refuses (``CheckpointRefused``) unless the history verifies, so tampering is
    never signed. ``restart``: the previous checkpoint cannot be verified (its
    key was lost); verify everything else and start again, marked as such.
    Idempotent: when nothing was appended since the last checkpoint it is
    returned unchanged.
    """
    heads = collect_heads()
    if verification is None:
        verification = history_verify(against_checkpoint=not restart)
    # Heads collected before the walk must still be what the walk saw (nothing rewritten in between).
    problems = verification.findings + compare_heads(heads, label="the heads just read")
    if problems:
        raise CheckpointRefused(
            _("历史记录核验发现 %(n)d 处不一致，没有写入校验点。第一处：%(first)s")
            % {"n": len(problems), "first": problems[0]}
        )
    digest = heads_digest(heads)
    key = settings.YISHI_CHECKPOINT_KEY
    with transaction.atomic():
        last = HistoryCheckpoint.objects.select_for_update().order_by("-number").first()
        if last is not None and last.heads_sha256 == digest and last.key_id == key_id(key) and not restart:
            return last, False
        now = timezone.now()
        number = (last.number + 1) if last else 1
        previous = text_digest(last.signed_text) if last else None
        text = checkpoint_text(number=number, created_at=now, previous=previous, heads=heads, key=key,
                               restarted=restart)
        try:
            with transaction.atomic():
                checkpoint = HistoryCheckpoint.objects.create(
                    number=number, created_at=now, heads=heads, heads_sha256=digest, key_id=key_id(key),
                    text=text, signature=sign(text, key), restarted=restart,
                )
        except IntegrityError:  # another writer took this number a moment ago
            return HistoryCheckpoint.objects.order_by("-number").first(), False
    logger.info("history checkpoint #%s written: %s", checkpoint.number, digest)
    return checkpoint, True


# --------------------------------------------------------------------------- background runs


def _store_findings(run: HistoryRun, findings) -> None:
    findings = list(findings)[:MAX_STORED_FINDINGS]
    proposal_ids = {f.proposal_id for f in findings if f.proposal_id}
    fund_ids = {f.fund_id for f in findings if f.fund_id}
    proposal_community = dict(
        Proposal.objects.filter(pk__in=proposal_ids).values_list("pk", "group__community_id")
    )
    fund_community = dict(Fund.objects.filter(pk__in=fund_ids).values_list("pk", "community_id"))
    HistoryFinding.objects.bulk_create([
        HistoryFinding(
            run=run, source=f.source[:40], table=f.table[:64], row=f.row, proposal_id=f.proposal_id,
            fund_id=f.fund_id, message=f.message,
            community_id=proposal_community.get(f.proposal_id) or fund_community.get(f.fund_id),
        )
        for f in findings
    ])


def history_run_queue(*, actor) -> HistoryRun:
    """Ask for a full verification in the background; at most one waits or runs at a time.

    The task is sent after commit; without a broker it runs at once (eager).
    """
    from .tasks import history_run

    with transaction.atomic():
        stale = HistoryRun.objects.filter(pending=True, requested_at__lt=timezone.now() - STALE_RUN)
        for run in stale.select_for_update():
            run.pending, run.finished_at = None, timezone.now()
            run.save(update_fields=["pending", "finished_at"])
        try:
            with transaction.atomic():
                run = HistoryRun.objects.create(requested_by=actor, pending=True)
        except IntegrityError as exc:
            raise DomainError(_("已经有一次核验在排队或进行中，请稍后刷新页面查看结果。"), code="run_pending") from exc
        transaction.on_commit(lambda: _enqueue(history_run, run.pk))
    return run


def _enqueue(task, run_id: int) -> None:
    try:
        task.delay(run_id)
    except Exception:
        # The broker is down: drop the queued run so the button works again, rather than
        # leave a run pending that no worker will ever see.
        logger.exception("could not queue history run %s", run_id)
        HistoryRun.objects.filter(pk=run_id, started_at__isnull=True).delete()


def history_run_execute(*, run_id: int, checkpoint: bool = False) -> HistoryRun | None:
    """Run one queued verification (claimed by a conditional update, so two workers cannot both run it).

    ``checkpoint``: the daily job also signs a checkpoint when the run passes.
    """
    claimed = HistoryRun.objects.filter(pk=run_id, started_at__isnull=True).update(started_at=timezone.now())
    if not claimed:
        return None
    run = HistoryRun.objects.get(pk=run_id)
    result = history_verify()
    written = None
    if checkpoint and result.ok:
        try:
            written, _created = checkpoint_write(verification=result)
        except CheckpointRefused as refused:  # tampered between the walk and the signing
            result.findings.append(Finding("checkpoint", HistoryCheckpoint._meta.db_table, None, str(refused)))
    with transaction.atomic():
        _store_findings(run, result.findings)
        run.finished_at = timezone.now()
        run.pending = None
        run.ok = result.ok
        run.chains = sum(s["chains"] for s in result.chains.values())
        run.rows = sum(s["rows"] for s in result.chains.values())
        run.finding_count = len(result.findings)
        run.checkpoint = written or result.checkpoint
        run.save()
    if not result.ok:
        logger.error("history verification found %d differences; first: %s", len(result.findings),
                     result.findings[0])
    return run


def history_daily() -> HistoryRun:
    """The daily job: a full run, and a signed checkpoint when it passes (celery beat)."""
    run = HistoryRun.objects.create()
    return history_run_execute(run_id=run.pk, checkpoint=True)
