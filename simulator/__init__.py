"""drill: a role-play simulator for customer-service drills."""

__version__ = "0.1.0"
