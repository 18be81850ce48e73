from django.db import models


class Heartbeat(models.Model):
    """When a process kind (worker, beat) was last seen doing its job."""

    name = models.CharField(max_length=20, primary_key=True)
    last_seen = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} {self.last_seen:%H:%M:%S}"
