"""The offline grader's signal registry: one declaration per signal.

A *signal* is one measured behaviour of the agent (a greeting, sympathy that names the customer's
situation, an offer the case accepts, a request for a CVV, ...). Each is declared once, next to the
function that measures it, with ``@register_signal``::

    @register_signal("rating_request", kind="penalty", rule="rating_request")
    def measure_rating_request(m: Measure) -> SignalResult:
        return m.finding_signal("rating_request", PhraseStage.closing)

The declaration is the single source of everything else that names a signal:

- ``offline_weights.yaml`` may weight only registered signals (``weights.load_weights`` checks);
- the scorecard's "did / missing / lost" labels are the message catalogue's ``signal.<name>`` keys
  (``simulator/i18n/<language>/grading.yaml``), which a declaration must find in every language;
- ``kind`` says how a zero reads: a *behaviour* at 0 is something missing, a *penalty* is a count
  of something that went wrong (0 = nothing did), a *trend* goes either way (0 = neutral);
- ``rule`` names the rule (``rules.RULES``) whose findings the signal stands for — the finding it
  counts (a penalty) or the finding that marks its absence (``greeting`` ↔ ``missing_greeting``).
  ``hurt_criteria`` derives from it and the weights which criteria a finding counts against, so the
  per-turn "hurt" notes a mentor sees agree with the scores by construction.

How to add a signal is in ``docs/grader-signals.md``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from simulator.errors import DrillError
from simulator.i18n import CATALOGUE_LANGUAGES, catalogue, t
from simulator.models import Language

if TYPE_CHECKING:
    from simulator.grading.measure import Measure, SignalResult
    from simulator.grading.weights import OfflineWeights

SignalKind = Literal["behaviour", "penalty", "trend"]
LANGUAGES: tuple[Language, ...] = ("zh-CN", "en")
#: The catalogue key prefix of a signal's display label (``signal.<name>``).
LABEL_KEY_PREFIX = "signal."

# The modules holding the declarations; a new module of signals is added here.
DETECTOR_MODULES = (
    "simulator.grading.detectors.phrasing",
    "simulator.grading.detectors.listening",
    "simulator.grading.detectors.solving",
    "simulator.grading.detectors.clarity",
    "simulator.grading.detectors.compliance",
    "simulator.grading.detectors.limits",
    "simulator.grading.detectors.customer_type",
    "simulator.grading.detectors.fulfilment",
    "simulator.grading.detectors.red_line_doubt",
)


class SignalRegistryError(DrillError):
    """A signal declaration is inconsistent (duplicate name, missing label, unknown rule)."""


@dataclass(frozen=True)
class SignalSpec:
    """One registered signal: how it is measured, how it reads, and the rule it stands for."""

    name: str
    measure: Callable[[Measure], SignalResult]
    kind: SignalKind
    rule: str | None = None

    @property
    def label_key(self) -> str:
        """The catalogue key of this signal's display label."""
        return label_key(self.name)


_REGISTRY: dict[str, SignalSpec] = {}


def label_key(name: str) -> str:
    """The catalogue key of signal ``name``'s display label."""
    return f"{LABEL_KEY_PREFIX}{name}"


def register_signal(
    name: str, *, kind: SignalKind, rule: str | None = None
) -> Callable[[Callable[[Measure], SignalResult]], Callable[[Measure], SignalResult]]:
    """Declare the decorated function as the measure of signal ``name``.

    The catalogue must hold its label (``signal.<name>``) in every language; ``rule`` (optional)
    must be a rule id of ``simulator.grading.rules.RULES``. Raises ``SignalRegistryError`` on a
    missing label, an unknown rule or a duplicate name.
    """
    from simulator.grading.rules import RULES

    key = label_key(name)
    missing = [language for language in CATALOGUE_LANGUAGES if not catalogue(language).get(key, "").strip()]
    if missing:
        raise SignalRegistryError(
            f"signal {name!r}: no label {key!r} in the message catalogue for {', '.join(missing)} "
            "(add it to simulator/i18n/<language>/grading.yaml)"
        )
    if rule is not None and rule not in RULES:
        raise SignalRegistryError(f"signal {name!r}: unknown rule {rule!r} (known: {', '.join(RULES)})")

    def declare(measure: Callable[[Measure], SignalResult]) -> Callable[[Measure], SignalResult]:
        existing = _REGISTRY.get(name)
        if existing is not None and existing.measure.__qualname__ != measure.__qualname__:
            raise SignalRegistryError(f"signal {name!r} is declared twice ({existing.measure.__module__})")
        _REGISTRY[name] = SignalSpec(name=name, measure=measure, kind=kind, rule=rule)
        return measure

    return declare


def registered_signals() -> Mapping[str, SignalSpec]:
    """Every declared signal by name (the detector modules are imported on first use)."""
    for module in DETECTOR_MODULES:
        importlib.import_module(module)
    return _REGISTRY


def signal_spec(name: str) -> SignalSpec:
    """The declaration of signal ``name``; ``SignalRegistryError`` naming the known ones if absent."""
    signals = registered_signals()
    if name not in signals:
        raise SignalRegistryError(f"unknown signal {name!r} (known: {', '.join(sorted(signals))})")
    return signals[name]


def signal_label(name: str, language: Language) -> str:
    """What the scorecard calls signal ``name`` in ``language`` (from the message catalogue)."""
    return t(signal_spec(name).label_key, language)


def hurt_criteria(rule_id: str, weights: OfflineWeights | None = None) -> tuple[str, ...]:
    """Criterion ids a finding of ``rule_id`` counts against, in the weights file's order.

    A criterion counts when the weights give it a signal declared with ``rule=rule_id``; unknown
    rules and rules no weighted signal stands for give ``()``.
    """
    from simulator.grading.weights import default_weights

    weights = weights or default_weights()
    signals = registered_signals()
    linked = {name for name, spec in signals.items() if spec.rule == rule_id}
    return tuple(criterion for criterion, spec in weights.criteria.items() if linked & set(spec.signals))
