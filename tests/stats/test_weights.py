"""Weights prepared for Gi*: the space layer's k-ring matrix, checked and summed once."""

from __future__ import annotations

import h3
import numpy as np
import pytest

from geo.core.errors import InputError, OptionError
from geo.space.hexes import cells_to_weights
from geo.stats.weights import Weights, cells_to_gi_weights


def test_gi_weights_are_the_k_ring_weights_prepared():
    centre = h3.latlng_to_cell(51.45, -2.59, 9)
    cells = np.array(sorted(h3.str_to_int(c) for c in h3.grid_disk(centre, 2)), dtype=np.uint64)
    for k in (1, 2):
        plain = cells_to_weights(cells, k=k)
        prepared = cells_to_gi_weights(cells, k=k)
        assert (prepared.matrix != plain).nnz == 0
        assert prepared.w_sum.tolist() == np.asarray(plain.sum(axis=1)).ravel().tolist()


def test_weights_that_are_not_square_are_an_option_error():
    """The caller's weights argument is at fault, not a file: OptionError naming the shape accepted."""
    with pytest.raises(OptionError, match="square n × n matrix") as caught:
        Weights(np.ones((3, 4)))
    assert caught.value.option == "w"
    assert not isinstance(caught.value, InputError)
