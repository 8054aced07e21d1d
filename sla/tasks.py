"""Celery doors of the SLA beat jobs. They sweep every tenant and enter each clock's tenant
scope per item (sla.jobs)."""

from celery import shared_task

from sla import jobs


@shared_task(sweeps_all_tenants=True)
def escalate_sla_breaches() -> str:
    return jobs.escalate_sla_breaches()


@shared_task(sweeps_all_tenants=True)
def compute_sla_deadlines() -> str:
    return jobs.compute_sla_deadlines()
