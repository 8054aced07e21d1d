"""Celery doors of the email channel's beat job (it sweeps every tenant's mailboxes and enters
each mailbox's tenant scope itself: tickets/mail/imap.py)."""

from celery import shared_task

from tickets import report_rollup
from tickets.mail import imap


@shared_task(sweeps_all_tenants=True)
def poll_mailboxes() -> str:
    return imap.poll_all()


@shared_task(sweeps_all_tenants=True)
def compact_report_counts() -> str:
    """Fold the SLA report's rollup rows written since the last run (tickets.report_rollup)."""
    return report_rollup.compact_recent()
