from django.db import models
from django.utils.translation import gettext_lazy as _


class JobRun(models.Model):
    """One run of a nightly job (possibly several django-q2 slices), for operations to read."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    job = models.CharField(_("job"), max_length=40, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    slices = models.PositiveIntegerField(_("slices"), default=0)
    result = models.JSONField(_("result"), default=dict, blank=True)
    # Checkpoint: the step in progress and its cursor; a resumed or continued slice starts here.
    step_index = models.PositiveSmallIntegerField(_("step"), default=0)
    cursor = models.JSONField(_("cursor"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        constraints = [
            # A cron command and the schedule starting together must share one run, not open two.
            models.UniqueConstraint(
                fields=["job"], condition=models.Q(status="running"), name="one_running_run_per_job"
            )
        ]

    def __str__(self) -> str:
        return f"{self.job} {self.started_at:%Y-%m-%d %H:%M}"
