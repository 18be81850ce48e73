"""The demo's training and books, as `python3 dev.py run` loads them."""

import io

import pytest
from django.core.management import call_command

from billing.models import Budget, Charge, Project
from training.models import Requirement

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_training_requirement_a_project_and_a_charge(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    call_command("seed_demo", stdout=io.StringIO())
    for _ in range(2):  # idempotent
        call_command("seed_demo_training", stdout=io.StringIO())
        call_command("seed_demo_billing", stdout=io.StringIO())
    assert Requirement.objects.get().resource_type.name == "Microscope"
    project = Project.objects.get()
    assert project.code == "ERC-101" and Budget.objects.get().hours == 40
    charge = Charge.objects.get()
    assert (str(charge.hours), str(charge.amount), charge.owner.username) == ("3.00", "7.50", "user")
