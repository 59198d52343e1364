"""Synthetic county generator (Django app only to provide the ``synth`` command)."""

from django.apps import AppConfig


class SynthConfig(AppConfig):
    """The synth app."""

    name = "renkou.synth"
    verbose_name = "Synthetic data"
