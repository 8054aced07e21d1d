"""Email ingestion at volume: 2,000 messages from a local IMAP server into PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench_email python bench/email.py

Starts its own dovecot (Debian's dovecot-imapd, as in the tests), fills a fresh mailbox with a
mix of new tickets (from many senders, a third with an attachment) and replies to them (threaded
by In-Reply-To, with quoted history to strip), then polls it as the beat job does and prints
messages/s end to end and the time per stage: IMAP fetch, parsing, storing (threading, tickets,
messages, attachments, SLA clocks, outbox rows: one transaction per message), marking as read.
`--workers N` polls with N pollers at once (they race for the same messages; each is ingested
once). The database's name must contain "bench"; it is created and migrated if needed.
"""

import argparse
import os
import sys
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This file is named like the standard library's `email`: its folder (which Python puts first
# on the path) goes to the end, so that `import email` anywhere finds the library's.
BENCH = ROOT / "bench"
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH]
sys.path.insert(0, str(ROOT))
sys.path.append(str(BENCH))
from email.message import EmailMessage  # noqa: E402  (after the path is put right)
from email.utils import formatdate  # noqa: E402

from pg import ensure_database, purge_broker  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/helpdesk_bench_email")
# Many messages from few senders within a minute: the per-sender limits would (rightly)
# quarantine them. The bench measures ingestion, not the limits.
os.environ.setdefault("EMAIL_NEW_TICKETS_PER_HOUR", "1000000")
os.environ.setdefault("EMAIL_POLL_BATCH", "1000000")

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)
STAGES = ["imap fetch", "parse", "store", "mark read"]
timings: dict[str, float] = defaultdict(float)
_lock = threading.Lock()


@contextmanager
def timed(stage: str):
    start = time.perf_counter()
    try:
        yield
    finally:
        with _lock:
            timings[stage] += time.perf_counter() - start


def messages(count: int, run: str, address: str) -> list[bytes]:
    """Half new tickets, half replies to them (each after its original)."""
    out, originals = [], []
    for n in range(count):
        message = EmailMessage()
        sender = f"customer{n % 200}@bench-{run}.example"
        message["To"] = address
        message["Date"] = formatdate()
        message["Message-ID"] = f"<{run}.{n}@bench.example>"
        if n % 2 == 0 or not originals:
            message["From"] = f"Customer {n % 200} <{sender}>"
            message["Subject"] = f"Bench problem {n}: the printer prints blank pages"
            message.set_content(
                f"Hello,\n\nsince this morning printer {n} prints blank pages. "
                "We restarted it twice.\n\nRegards\n"
            )
            originals.append((message["Message-ID"], message["From"], message["Subject"]))
            if n % 3 == 0:
                message.add_attachment(PNG, maintype="image", subtype="png", filename="shot.png")
            elif n % 3 == 1:
                log = "".join(f"12:00:{s:02d} spooler: job {n} failed\n" for s in range(60))
                message.add_attachment(log.encode(), maintype="text", subtype="plain",
                                       filename="spooler.log")  # fmt: skip
        else:
            parent_id, sender_header, subject = originals[(n // 2) % len(originals)]
            message["From"] = sender_header
            message["Subject"] = f"Re: {subject}"
            message["In-Reply-To"] = parent_id
            message["References"] = parent_id
            message.set_content(
                "Still blank, see the new log.\n\n"
                "On Wed, 2 Dec 2026 at 10:00, Support <support@acme.example> wrote:\n"
                "> Please update the driver.\n>\n> Regards\n"
            )
        out.append(bytes(message))
    return out


def instrument() -> None:
    """Wrap the stages of a poll with timers (the code measured is the code that runs)."""
    from tickets.mail import imap, ingest, parse

    fetch, mark, parse_fn, ingest_fn = imap._fetch, imap._mark, parse.parse, ingest.ingest

    def timed_fetch(conn, uids):
        with timed("imap fetch"):
            items = list(fetch(conn, uids))
        return iter(items)

    def timed_mark(*args):
        with timed("mark read"):
            return mark(*args)

    def timed_parse(raw):
        with timed("parse"):
            return parse_fn(raw)

    def timed_ingest(**kwargs):
        start = time.perf_counter()
        before = timings["parse"]
        try:
            return ingest_fn(**kwargs)
        finally:
            with _lock:  # the parse inside is counted apart (one poller: exact)
                timings["store"] += time.perf_counter() - start - (timings["parse"] - before)

    imap._fetch, imap._mark, parse.parse, imap.ingest = (
        timed_fetch,
        timed_mark,
        timed_parse,
        timed_ingest,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    ensure_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import Tenant
    from accounts.tenancy import tenant_scope
    from core import live
    from tests.tickets.mail.servers import Dovecot
    from tickets.mail import imap
    from tickets.mail.models import InboundEmail, Mailbox

    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    tenant = Tenant.objects.get(slug="acme")
    server = Dovecot().start()
    try:
        user = server.add_user()
        run = f"{int(time.time())}"
        with tenant_scope(tenant):
            Mailbox.objects.filter(address="bench@acme.example").delete()
            mailbox = Mailbox(tenant=tenant, name="Bench", address="bench@acme.example",
                              host=server.host, port=server.port, security="none",
                              username=user)  # fmt: skip
            mailbox.set_password("s3cret-imap")
            mailbox.save()
        raws = messages(args.messages, run, mailbox.address)
        start = time.perf_counter()
        server.deliver(user, *raws)
        size = sum(map(len, raws)) / 1024 / 1024
        took = time.perf_counter() - start
        print(f"filled the mailbox with {len(raws):,} messages ({size:.1f} MB) in {took:.1f} s")

        instrument()
        counts: dict[str, int] = defaultdict(int)

        def poller():
            with tenant_scope(tenant), live.raised_by_job():
                polled = imap.poll(mailbox)
            connection.close()
            with _lock:
                for status, count in polled.counts.items():
                    counts[status] += count

        threads = [threading.Thread(target=poller) for _ in range(args.workers)]
        start = time.perf_counter()
        if args.workers == 1:
            poller()  # on this thread: a profiler sees it
        else:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        elapsed = time.perf_counter() - start

        with tenant_scope(tenant):
            rows = InboundEmail.objects.filter(mailbox=mailbox)
            stored = rows.count()
            by_outcome = dict(rows.values_list("outcome").annotate(n=django.db.models.Count("pk")))
        print(f"ingested {stored:,} messages with {args.workers} poller(s): "
              f"{dict(sorted(counts.items()))}, outcomes {by_outcome}")  # fmt: skip
        print(f"end to end: {elapsed:.1f} s, {stored / elapsed:.1f} messages/s (target >= 50)")
        for stage in STAGES:
            seconds = timings[stage]
            per = seconds / max(stored, 1) * 1000
            print(f"  {stage:<10} {seconds:6.1f} s  {per:6.2f} ms/message")
        assert stored == args.messages, "every message is ingested once"
    finally:
        server.stop()
        purge_broker()


if __name__ == "__main__":
    main()
