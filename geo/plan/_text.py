"""Text columns of stored case records as the plan compares them: blanks for missing, keys that ignore spelling.

Why one module: the door-knock list, the alert and the review queue each match
addresses between systems (a flagged list, a housing register, a repairs
export) that spell one address or UPRN differently; one rule for "the same
address" keeps them agreeing.
"""

from __future__ import annotations

import pandas as pd


def text_of(frame: pd.DataFrame, column: str) -> pd.Series:
    """``frame[column]`` as stripped text, blank where missing; a blank column when the frame lacks it."""
    if column not in frame:
        return pd.Series([""] * len(frame), index=frame.index, dtype=object)
    return frame[column].fillna("").astype(str).str.strip()


def normal_text(text: pd.Series) -> pd.Series:
    """Case, punctuation and spacing ignored: ``"12, Elm  Road"`` and ``"12 elm road"`` are one text."""
    return text.str.casefold().str.replace(r"[\W_]+", " ", regex=True).str.strip()


def uprn_key(text: pd.Series) -> pd.Series:
    """A UPRN without its leading zeros; blank for anything that is not all digits."""
    digits = text.str.fullmatch(r"\d+").fillna(False).to_numpy(bool)
    stripped = text.str.lstrip("0").where(lambda s: s != "", "0")
    return stripped.where(digits, "")
