"""What partners notice at an address, as a fixed vocabulary: the ``signals`` kind's ``signal`` column.

Why a vocabulary, and why these words: the early-warning rules
(:mod:`geo.plan.review`) count signals of one family in a window ("two lock
changes in 90 days"), so two spellings of one event must be one key and an
unknown word must be refused, not guessed. The entries follow the cuckooing
indicators of the Home Office and housing guidance and the partnerships' own
accounts: keys handed to the gang show as repeated lock changes, forced doors as
door and window repairs, the gang's trade as neighbours' complaints of noise,
visitors and fights, rubbish and needles, a tenant who can no longer be reached
as "no access" at a tenancy or gas-safety visit, and welfare concerns.

Each entry is a :class:`Signal`: its label (the words every screen uses), its
family (what the rules count together: three complaints of any sort are "three
neighbour complaints"), the flagged-address indicator it becomes when a person
flags the address (:data:`geo.core.schema.INDICATORS`), and the spellings repairs
and case systems use ("re-key", "lock replacement", "change locks"), compared
after :func:`geo.core.schema.normalise_label`.
"""

from __future__ import annotations

from dataclasses import dataclass

from geo.core.schema import normalise_label


@dataclass(frozen=True)
class Signal:
    """One word of the vocabulary.

    Attributes
    ----------
    label
        What a person reads ("lock change", "neighbour complaint: noise").
    family
        The rules count signals by family: ``lock``, ``repair``, ``complaint``, ``rubbish``, ``access``,
        ``welfare``.
    indicator
        The key of :data:`geo.core.schema.INDICATORS` it fills in when the address is flagged.
    synonyms
        Other spellings, as partners' systems write them (normalised on comparison).
    """

    label: str
    family: str
    indicator: str
    synonyms: tuple[str, ...] = ()


#: key -> :class:`Signal`, in the order screens list them.
SIGNALS: dict[str, Signal] = {
    "lock_change": Signal(
        "lock change",
        "lock",
        "lock_changes",
        (
            "lock changes",
            "lock change request",
            "change locks",
            "change of locks",
            "locks changed",
            "re-key",
            "rekey",
            "re-keying",
            "lock replacement",
            "replace lock",
            "replace locks",
            "new locks",
            "new lock",
            "lock renewal",
            "renew lock",
            "renew locks",
            "lock change - lost keys",
            "lost keys",
            "euro cylinder replacement",
            "replace euro cylinder",
            "change euro cylinder",
        ),
    ),
    "door_window_repair": Signal(
        "door/window repair",
        "repair",
        "damage",
        (
            "door repair",
            "window repair",
            "door or window repair",
            "front door repair",
            "replace front door",
            "forced entry repair",
            "forced door",
            "board up",
            "boarding up",
            "board up door",
            "board up window",
            "broken window",
            "reglaze",
            "re-glaze",
            "glazing",
            "door frame repair",
        ),
    ),
    "complaint_noise": Signal(
        "neighbour complaint: noise",
        "complaint",
        "noise",
        ("noise", "noise complaint", "noise nuisance", "loud music", "complaint noise", "neighbour noise"),
    ),
    "complaint_visitors": Signal(
        "neighbour complaint: visitors",
        "complaint",
        "visitors_odd_hours",
        (
            "visitors",
            "visitors complaint",
            "complaint visitors",
            "many visitors",
            "visitors at night",
            "comings and goings",
            "callers at all hours",
            "suspicious visitors",
        ),
    ),
    "complaint_fights": Signal(
        "neighbour complaint: fights/shouting",
        "complaint",
        "other",
        ("fights", "fighting", "shouting", "disturbance", "complaint fights", "arguments", "violence heard"),
    ),
    "rubbish_needles": Signal(
        "rubbish/needles",
        "rubbish",
        "litter_needles",
        (
            "rubbish",
            "needles",
            "litter",
            "sharps",
            "drug paraphernalia",
            "fly tipping",
            "flytipping",
            "rubbish complaint",
            "needles found",
            "sharps found",
        ),
    ),
    "no_access": Signal(
        "tenancy check: no access",
        "access",
        "tenant_not_seen",
        (
            "no access",
            "tenancy check no access",
            "tenancy audit no access",
            "gas safety no access",
            "gas service no access",
            "no access gas",
            "tenant not seen",
            "unable to gain access",
        ),
    ),
    "welfare_concern": Signal(
        "welfare concern",
        "welfare",
        "other",
        ("welfare", "welfare check", "welfare visit", "safeguarding concern", "concern for welfare"),
    ),
}

#: What a family is called in a rule's words ("2 lock changes"): singular, plural.
FAMILY_WORDS: dict[str, tuple[str, str]] = {
    "lock": ("lock change", "lock changes"),
    "repair": ("door/window repair", "door/window repairs"),
    "complaint": ("neighbour complaint", "neighbour complaints"),
    "rubbish": ("rubbish/needles report", "rubbish/needles reports"),
    "access": ("no-access visit", "no-access visits"),
    "welfare": ("welfare concern", "welfare concerns"),
}


def signal_lookup() -> dict[str, str]:
    """Every accepted spelling, normalised, -> its key (the key and the label themselves included)."""
    lookup: dict[str, str] = {}
    for key, s in SIGNALS.items():
        for spelling in (key, s.label, *s.synonyms):
            lookup[normalise_label(spelling)] = key
    return lookup


def accepted_words() -> str:
    """The labels, as a reason lists them ("lock change; door/window repair; …")."""
    return "; ".join(s.label for s in SIGNALS.values())
