"""aduan: an event-sourced complaint routing engine for national public-service complaint systems."""

__version__ = "0.1.0"
