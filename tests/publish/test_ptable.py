"""The perturbation table, checked against the table SECURITY.md publishes, written out here by hand.

Every expected value below comes from the shares in SECURITY.md ("Disclosure
control"), copied into :data:`SHARES` and :data:`NOISE` by hand, never from the
module's own dicts. Cell keys are handed out in the order the table lists a
row's values: in the row for 1, "0 (171), 3 (85)" means keys 0..170 publish 0
and keys 171..255 publish 3.
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo.publish._ptable import SOURCES, _row_to_keys, perturb, sources

KEYS = np.arange(256)

#: True count -> (published value, share in 256ths), in the order SECURITY.md lists them.
SHARES: dict[int, list[tuple[int, int]]] = {
    0: [(0, 256)],
    1: [(0, 171), (3, 85)],
    2: [(0, 102), (3, 103), (4, 51)],
    3: [(0, 77), (4, 128), (5, 51)],
    4: [(3, 154), (5, 51), (6, 51)],
}
#: From 5 up: (noise added, share in 256ths).
NOISE: list[tuple[int, int]] = [(-2, 26), (-1, 64), (0, 76), (1, 64), (2, 26)]

#: Each row's mean, worked by hand from the shares above.
MEANS_BY_HAND = {
    0: Fraction(0, 256),  # 0 x 256
    1: Fraction(255, 256),  # 0 x 171 + 3 x 85 = 255
    2: Fraction(513, 256),  # 0 x 102 + 3 x 103 + 4 x 51 = 309 + 204 = 513
    3: Fraction(767, 256),  # 0 x 77 + 4 x 128 + 5 x 51 = 512 + 255 = 767
    4: Fraction(1023, 256),  # 3 x 154 + 5 x 51 + 6 x 51 = 462 + 255 + 306 = 1023
}
#: The noise's mean: -2 x 26 - 64 + 0 + 64 + 2 x 26 = 0; its variance: (4 x 26 + 64) x 2 / 256 = 336/256.
NOISE_VARIANCE = Fraction(336, 256)


def by_hand(count: int, key: int) -> int:
    """The published value of (count, key), by walking the hand-written shares in order."""
    row = SHARES[count] if count < 5 else [(count + d, s) for d, s in NOISE]
    start = 0
    for value, share in row:
        if start <= key < start + share:
            return value
        start += share
    raise AssertionError(f"key {key} not covered")


def shares_of(count: int) -> dict[int, int]:
    """How many of the 256 keys publish each value, counted from :func:`perturb` itself."""
    return dict(Counter(perturb(np.full(256, count), KEYS).tolist()))


def test_every_row_shares_out_all_256_keys():
    for row in SHARES.values():
        assert sum(s for _, s in row) == 256
    assert sum(s for _, s in NOISE) == 256
    for count in range(21):
        expected = dict(SHARES[count]) if count < 5 else {count + d: s for d, s in NOISE}
        assert shares_of(count) == expected, count


def test_each_key_publishes_the_value_whose_share_covers_it():
    for count in range(21):
        assert perturb(np.full(256, count), KEYS).tolist() == [by_hand(count, k) for k in range(256)], count
    # the edges, spelt out: row 1 keys 0..170 -> 0, 171..255 -> 3; row 4 keys 0..153 -> 3, 154..204 -> 5, 205.. -> 6
    assert perturb([1, 1, 4, 4, 4, 4], [170, 171, 153, 154, 204, 205]).tolist() == [0, 3, 3, 5, 5, 6]
    # from 5 up: keys 0..25 -> -2, 26..89 -> -1, 90..165 -> 0, 166..229 -> +1, 230..255 -> +2
    assert perturb([9] * 10, [0, 25, 26, 89, 90, 165, 166, 229, 230, 255]).tolist() == [
        7,
        7,
        8,
        8,
        9,
        9,
        10,
        10,
        11,
        11,
    ]


def test_every_row_has_the_true_count_as_its_mean_within_one_256th():
    for count, mean in MEANS_BY_HAND.items():
        assert sum(Fraction(v * s, 256) for v, s in SHARES[count]) == mean
        assert abs(mean - count) <= Fraction(1, 256)
    assert sum(d * s for d, s in NOISE) == 0
    assert sum(Fraction(d * d * s, 256) for d, s in NOISE) == NOISE_VARIANCE  # 1.3125: SECURITY.md's 1.31
    # and the published values themselves, over all 256 keys, for counts 0..20
    for count in range(21):
        got = Fraction(int(perturb(np.full(256, count), KEYS).sum()), 256)
        assert abs(got - count) <= Fraction(1, 256), count


def test_no_small_count_is_published_as_itself_and_1_and_2_never_at_all():
    for count in range(21):
        out = set(perturb(np.full(256, count), KEYS).tolist())
        assert not out & {1, 2}, count
        if 1 <= count <= 4:
            assert count not in out
    assert set(perturb(np.zeros(256, int), KEYS).tolist()) == {0}  # a zero stays zero, whatever the key


def test_from_five_up_the_noise_is_at_most_two_with_the_published_shares():
    for count in (5, 6, 7, 10, 20, 999, 10**12):
        noise = perturb(np.full(256, count), KEYS) - count
        assert dict(Counter(noise.tolist())) == dict(NOISE)


# what each published value can have come from, by hand from the rows above:
#   0 <- 0 (256), 1 (171), 2 (102), 3 (77)               1, 2 <- nothing: never published
#   3 <- 1 (85), 2 (103), 4 (154), 5 (-2)                4 <- 2 (51), 3 (128), 5 (-1), 6 (-2)
#   5 <- 3 (51), 4 (51), 5, 6, 7                         6 <- 4 (51), 5 (+1), 6, 7, 8
#   7 <- 5 (+2), 6, 7, 8, 9                              8 <- 6, 7, 8, 9, 10
SOURCES_BY_HAND = {
    0: [0, 1, 2, 3],  # a 3 falls to 0 for 77 keys: a drop of 3, more than the large counts' 2
    1: [],
    2: [],
    3: [1, 2, 4, 5],
    4: [2, 3, 5, 6],
    5: [3, 4, 5, 6, 7],
    6: [4, 5, 6, 7, 8],
    7: [5, 6, 7, 8, 9],
    8: [6, 7, 8, 9, 10],
}


def test_sources_of_each_published_value_worked_by_hand():
    for published, expected in SOURCES_BY_HAND.items():
        assert sources(published) == expected, published
        assert len(expected) != 1  # never a single true count behind a published value
    assert SOURCES == SOURCES_BY_HAND


def test_sources_agree_with_a_brute_force_over_every_count_and_key():
    """Every (true count, key) pair from 0..40, tabulated: what each published 0..8 came from."""
    came_from: dict[int, set[int]] = {}
    for count in range(41):
        for v in set(perturb(np.full(256, count), KEYS).tolist()):
            came_from.setdefault(v, set()).add(count)
    for published in range(9):
        assert sorted(came_from.get(published, set())) == sources(published), published


def test_perturb_is_elementwise_and_deterministic():
    counts = np.array([0, 1, 2, 3, 4, 5, 17, 3, 1])
    keys = np.array([9, 200, 204, 205, 0, 255, 100, 76, 171])
    # by hand: 0; 1 at 200 -> 3; 2 at 204 -> 3; 3 at 205 -> 5; 4 at 0 -> 3; 5 at 255 -> 7; 17 at 100 -> 17;
    # 3 at 76 -> 0; 1 at 171 -> 3
    expected = [0, 3, 3, 5, 3, 7, 17, 0, 3]
    out = perturb(counts, keys)
    assert out.tolist() == expected and out.dtype == np.int64
    assert perturb(counts, keys).tolist() == expected  # asked again: the same noise
    assert [int(perturb([c], [k])[0]) for c, k in zip(counts, keys, strict=True)] == expected
    assert perturb(counts[::-1], keys[::-1]).tolist() == expected[::-1]  # no dependence on neighbours
    assert perturb(counts.reshape(3, 3), keys.reshape(3, 3)).tolist() == [expected[:3], expected[3:6], expected[6:]]
    assert perturb([], []).tolist() == []


def test_cell_keys_wrap_round_at_256():
    counts = np.array([1, 1, 4, 9, 9])
    assert perturb(counts, [256 + 170, 256 + 171, 512 + 154, 256, 511]).tolist() == [0, 3, 5, 7, 11]


def test_negative_counts_are_refused():
    with pytest.raises(ValueError, match=r"^counts cannot be negative$"):
        perturb([3, -1], [0, 0])
    with pytest.raises(ValueError, match="negative"):
        perturb([-5], [0])


def test_a_row_that_does_not_share_out_256_keys_is_refused():
    with pytest.raises(ValueError, match=r"^a perturbation row must share out all 256 cell keys: \{0: 255\}$"):
        _row_to_keys({0: 255})
    with pytest.raises(ValueError, match="256"):
        _row_to_keys({0: 200, 1: 57})
    assert _row_to_keys({7: 200, 9: 56}).tolist() == [7] * 200 + [9] * 56


@given(
    st.lists(st.tuples(st.integers(5, 10**9), st.integers(0, 2**40)), min_size=1, max_size=50),
)
def test_large_counts_move_by_at_most_two(pairs):
    counts = np.array([c for c, _ in pairs])
    keys = np.array([k for _, k in pairs])
    out = perturb(counts, keys)
    assert (np.abs(out - counts) <= 2).all()
    assert out.tolist() == [by_hand(int(c), int(k) % 256) for c, k in pairs]


@given(st.lists(st.integers(0, 2**40), min_size=1, max_size=50))
def test_zero_is_always_published_as_zero(keys):
    assert (perturb(np.zeros(len(keys), dtype=int), keys) == 0).all()
