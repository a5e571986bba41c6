"""ConSE's mixing step (pure NumPy): the clip vector is the probability-weighted mean of
the top classes' text embeddings."""

from __future__ import annotations

import numpy as np
import pytest

from twelvelabs_embed.local.media.semantic import conse_mix


def test_mix_weights_the_top_classes_by_probability() -> None:
    classes = np.eye(4, dtype=np.float32)  # class i's "text embedding" is axis i
    logits = np.log(np.array([[0.5, 0.3, 0.15, 0.05]]))
    v = conse_mix(logits, classes, top_k=2, temperature=1.0)
    np.testing.assert_allclose(
        v, np.array([0.625, 0.375, 0, 0]) / np.hypot(0.625, 0.375), rtol=1e-5
    )
    one = conse_mix(logits, classes, top_k=1, temperature=1.0)
    np.testing.assert_allclose(one, [1, 0, 0, 0])


def test_temperature_flattens_and_frames_are_averaged() -> None:
    classes = np.eye(3, dtype=np.float32)
    logits = np.array([[4.0, 0.0, 0.0], [0.0, 4.0, 0.0]])  # two frames, two different classes
    v = conse_mix(logits, classes, top_k=3, temperature=1.0)
    assert v[0] == pytest.approx(v[1]) and v[2] < v[0]
    sharp = conse_mix(logits[:1], classes, top_k=3, temperature=0.5)
    flat = conse_mix(logits[:1], classes, top_k=3, temperature=4.0)
    assert sharp[0] > flat[0] and flat[1] > sharp[1]
    assert np.linalg.norm(flat) == pytest.approx(1.0)
