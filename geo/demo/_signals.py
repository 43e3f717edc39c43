"""The demo town's partner signals: a housing repairs export and a housing ASB complaints log.

Nothing here is real (see :mod:`geo.demo`). Both files name homes of the
demo's housing stock (``properties``) and carry no coordinates, as a repairs
system's export does not: the review queue places them by the stored homes.
They use their systems' own headings and words ("Job Description: Replace
euro cylinder", "Complaint Type: Comings and goings"), which the ``signals``
kind's synonyms map without a ``--map``.

Planted so every rule has something to show on the demo's last day (the
queue's day is the newest signal, 31 Oct 2026):

* homes with two lock changes within 90 days (one pair exactly 90 days apart);
* homes with three neighbour complaints within 60 days;
* homes where a lock change and a no-access visit (or needles) fall within 30 days;
* one home meeting all three (the heaviest);
* one home with two lock changes next door to a closure order granted this year;
* one home whose two lock changes are 91 days apart (on no queue: the edge);
* two lock changes at an address already flagged (left off the queue);
* earlier episodes that met a rule months ago (they count in the 12-month hits only);
* and a background of routine, single repairs and complaints across the stock.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Repairs job descriptions as the demo's repairs system writes them (vocabulary synonyms), with a job code.
LOCK_JOBS = (("LK01", "Lock change - lost keys"), ("LK02", "Replace euro cylinder"), ("LK03", "Re-key"))
OTHER_JOBS = (
    ("DR10", "Front door repair", "door"),
    ("DR11", "Board up window", "door"),
    ("GS01", "Gas safety no access", "access"),
    ("TA02", "Tenancy audit no access", "access"),
)
#: Complaint types as the demo's ASB case log writes them.
COMPLAINTS = ("Noise nuisance", "Comings and goings", "Shouting", "Loud music", "Visitors at night")
OTHER_REPORTS = (("Needles found", "rubbish"), ("Concern for welfare", "welfare"), ("Fly tipping", "rubbish"))

REPAIR_HEADINGS = ["Job No", "Job Code", "Job Description", "Date Raised", "Property Ref", "UPRN", "System"]
COMPLAINT_HEADINGS = ["Case Ref", "Complaint Type", "Date Reported", "Property Ref", "Address", "Source"]


def _near_recent_closure(homes: pd.DataFrame, closures: pd.DataFrame, *, end: pd.Timestamp) -> int:
    """The position in ``homes`` of the home nearest a closure order granted in the 300 days before ``end``."""
    granted = pd.to_datetime(closures["Granted"], format="%d/%m/%Y")
    recent = closures[(granted <= end) & (granted > end - pd.Timedelta(days=300))]
    lat, lng = homes["Latitude"].astype(float).to_numpy(), homes["Longitude"].astype(float).to_numpy()
    best, where = np.inf, 0
    for c_lat, c_lng in zip(recent["Latitude"].astype(float), recent["Longitude"].astype(float), strict=True):
        metres = np.hypot((lat - c_lat) * 111_200, (lng - c_lng) * 111_200 * np.cos(np.radians(c_lat)))
        metres[metres < 20] = np.inf  # not the closed premises itself
        if metres.min() < best:
            best, where = float(metres.min()), int(metres.argmin())
    return where


def make_signals(
    properties: pd.DataFrame, cases: dict[str, pd.DataFrame], *, end: pd.Timestamp, seed: int = 7
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The repairs export and the complaints log (partner frames, every cell text) ending on ``end``."""
    rng = np.random.default_rng(seed + 21)
    flagged = cases["flagged"]
    case_addresses = set(flagged["Address"].astype(str)) | set(cases["closures"]["Address"].astype(str))
    homes = properties[~properties["Address"].astype(str).isin(case_addresses)].reset_index(drop=True)
    by_closure = _near_recent_closure(homes, cases["closures"], end=end)
    picks = rng.choice(len(homes), size=len(homes), replace=False)
    pick = iter(int(i) for i in picks[picks != by_closure])
    repairs: list[dict[str, str]] = []
    complaints: list[dict[str, str]] = []

    def day(back: int) -> pd.Timestamp:
        return end.normalize() - pd.Timedelta(days=int(back))

    def repair(home: pd.Series, when: pd.Timestamp, code: str, words: str, *, uprn: bool = True) -> None:
        repairs.append(
            {
                "Job No": f"J{len(repairs) + 40_001}",
                "Job Code": code,
                "Job Description": words,
                "Date Raised": when.strftime("%d/%m/%Y"),
                "Property Ref": str(home["Property Ref"]),
                "UPRN": str(home["UPRN"]) if uprn else "",  # some jobs carry the ref only
                "System": "Repairs",
            }
        )

    def complaint(home: pd.Series, when: pd.Timestamp, words: str) -> None:
        complaints.append(
            {
                "Case Ref": f"ASB-{len(complaints) + 7_001}",
                "Complaint Type": words,
                "Date Reported": when.strftime("%Y-%m-%d"),
                "Property Ref": str(home["Property Ref"]),
                "Address": str(home["Address"]),
                "Source": "Housing ASB",
            }
        )

    def lock(home: pd.Series, when: pd.Timestamp, *, uprn: bool = True) -> None:
        code, words = LOCK_JOBS[int(rng.integers(len(LOCK_JOBS)))]
        repair(home, when, code, words, uprn=uprn)

    # each episode ends ``back`` days before the end and starts inside the rule's window up to the end,
    # so the rule is met on the queue's day (the end)
    for back in (3, 20, 41):  # two lock changes within 90 days
        home = homes.iloc[next(pick)]
        lock(home, day(back + int(rng.integers(20, 90 - back))), uprn=False)
        lock(home, day(back))
    home = homes.iloc[next(pick)]  # exactly 90 days apart: met on the later day and still on it
    lock(home, day(90))
    lock(home, day(0))
    for back in (5, 26):  # three complaints within 60 days
        home = homes.iloc[next(pick)]
        for gap in sorted(rng.choice(np.arange(1, 60 - back), size=2, replace=False), reverse=True):
            complaint(home, day(back + int(gap)), COMPLAINTS[int(rng.integers(len(COMPLAINTS)))])
        complaint(home, day(back), COMPLAINTS[int(rng.integers(len(COMPLAINTS)))])
    for back, other in ((2, "access"), (15, "needles")):  # two kinds within 30 days
        home = homes.iloc[next(pick)]
        lock(home, day(back + int(rng.integers(3, 30 - back))))
        if other == "access":
            repair(home, day(back), "GS01", "Gas safety no access")
        else:
            complaint(home, day(back), "Needles found")
    home = homes.iloc[next(pick)]  # all three rules: keys, callers and a tenant nobody sees
    lock(home, day(52))
    complaint(home, day(40), "Comings and goings")
    complaint(home, day(25), "Visitors at night")
    lock(home, day(12))
    repair(home, day(8), "TA02", "Tenancy audit no access")
    complaint(home, day(1), "Shouting")
    home = homes.iloc[by_closure]  # next door to a recent closure order: displacement
    lock(home, day(33))
    lock(home, day(9))
    home = homes.iloc[next(pick)]  # 91 days apart: never met
    lock(home, day(92))
    lock(home, day(1))
    already = flagged[flagged["Status"].astype(str) == "open"].iloc[0]  # signals at an open flag: not queued
    at_flag = properties[properties["UPRN"].astype(str) == str(already["UPRN"])].iloc[0]
    lock(at_flag, day(30))
    lock(at_flag, day(6))
    for back in (150, 220, 300):  # episodes earlier in the year: counted in the hits, not on the queue
        home = homes.iloc[next(pick)]
        lock(home, day(back + 35))
        lock(home, day(back))
    home = homes.iloc[next(pick)]
    for gap in (40, 22, 0):
        complaint(home, day(200 + gap), COMPLAINTS[gap % len(COMPLAINTS)])
    for _ in range(70):  # routine background: one event each, over the year
        home = homes.iloc[next(pick)]
        when = day(int(rng.integers(0, 365)))
        if rng.random() < 0.5:
            code, words, _family = OTHER_JOBS[int(rng.integers(2))]  # door and window repairs
            repair(home, when, code, words)
        elif rng.random() < 0.5:
            complaint(home, when, COMPLAINTS[int(rng.integers(len(COMPLAINTS)))])
        else:
            words, _family = OTHER_REPORTS[int(rng.integers(len(OTHER_REPORTS)))]
            complaint(home, when, words)
    rep = pd.DataFrame(repairs, columns=REPAIR_HEADINGS).sort_values("Job No", kind="stable")
    com = pd.DataFrame(complaints, columns=COMPLAINT_HEADINGS).sort_values("Case Ref", kind="stable")
    return rep.reset_index(drop=True), com.reset_index(drop=True)
