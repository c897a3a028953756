"""django-q2 entry point (scheduled nightly by setup_schedules; campaigns/schedules.py lists it)."""

from members.actors import Actor

from .services import report_facts_refresh


def refresh_report_facts() -> str:
    run = report_facts_refresh(actor=Actor.system("refresh_report_facts"))
    return f"{run.get_kind_display()} from {run.since}"
