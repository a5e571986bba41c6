"""The weight-free clip descriptor: hand-made features that survive what re-uploads do.

Near-duplicate hashes (PDQ, a grey thumbnail) break under a crop, a caption bar or a
mirror because they compare pixels at fixed positions. Every block here is built to be
unchanged by a horizontal mirror (regions and orientations are folded left/right), to
look mostly at the centre (weights fall off towards the edges and ignore the bottom 15%,
where caption bars sit), and to be indifferent to brightness/contrast (luma is
standardised per clip). Blocks are power-normalised (signed square root), L2-normalised,
weighted and concatenated; the result has at most 512 dimensions so an orthonormal
projection can carry it to 512 or 1024 without changing any cosine.
"""

from __future__ import annotations

import numpy as np

VISUAL_DIM = 312
AUDIO_DIM = 114
_CAPTION_CUT = 0.85
"""Rows below this fraction of the height are ignored: caption bars and lower thirds."""


def _block(x: np.ndarray, weight: float) -> np.ndarray:
    x = np.sign(x) * np.sqrt(np.abs(x))
    n = float(np.linalg.norm(x))
    out: np.ndarray = (x / n * weight) if n > 1e-12 else np.zeros_like(x)
    return out.astype(np.float32).ravel()


def _fold(grid: np.ndarray) -> np.ndarray:
    """Left/right folding of the last axis: sum of a cell and its mirror cell."""
    out: np.ndarray = grid + grid[..., ::-1]
    return out


def _pool(img: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Mean over a rows x cols grid of the first two axes of (H, W, ...)."""
    h, w = img.shape[:2]
    re, ce = (np.arange(rows) * h) // rows, (np.arange(cols) * w) // cols
    sums = np.add.reduceat(np.add.reduceat(img, re, axis=0), ce, axis=1)
    counts = np.diff(np.append(re, h))[:, None] * np.diff(np.append(ce, w))[None, :]
    out: np.ndarray = sums / counts.reshape(rows, cols, *([1] * (img.ndim - 2)))
    return out


def _soft_hist(
    values: np.ndarray, weights: np.ndarray, lo: float, hi: float, bins: int
) -> np.ndarray:
    """Histogram with linear (triangular) binning, so small shifts move mass smoothly."""
    pos = np.clip((values - lo) / (hi - lo) * (bins - 1), 0, bins - 1)
    i0 = np.floor(pos).astype(np.int64)
    f = pos - i0
    i1 = np.minimum(i0 + 1, bins - 1)
    h = np.bincount(i0.ravel(), (weights * (1 - f)).ravel(), bins)
    h += np.bincount(i1.ravel(), (weights * f).ravel(), bins)
    out: np.ndarray = h / max(float(weights.sum()), 1e-12)
    return out


def _centre_weights(size: int) -> np.ndarray:
    y = (np.arange(size) + 0.5) / size
    x = (np.arange(size) + 0.5) / size
    wy = np.exp(-0.5 * ((y - 0.45) / 0.25) ** 2) * (y < _CAPTION_CUT)
    wx = np.exp(-0.5 * ((x - 0.5) / 0.28) ** 2)
    w: np.ndarray = wy[:, None] * wx[None, :]
    return w


def _inner(img: np.ndarray) -> np.ndarray:
    """The region a 10% crop keeps and a caption bar misses: rows 6-84%, columns 6-94%."""
    h, w = img.shape[1:3]
    c0 = round(w * 0.06)
    c0 += ((w - 2 * c0) % 8) // 2  # whole 8-column cells, placed symmetrically
    return img[:, round(h * 0.06) : round(h * 0.84), c0 : w - c0]


def visual_descriptor(frames: np.ndarray) -> np.ndarray:
    """(K, S, S, 3) uint8 RGB frames of one clip -> (VISUAL_DIM,) float32, unit length."""
    rgb = frames.astype(np.float32) / 255.0
    k, s = rgb.shape[0], rgb.shape[1]
    luma = rgb @ np.array([0.299, 0.587, 0.114], np.float32)
    opp_a = rgb[..., 0] - rgb[..., 1]
    opp_b = 0.5 * (rgb[..., 0] + rgb[..., 1]) - rgb[..., 2]
    w = _centre_weights(s)
    wsum = float(w.sum()) * k
    mean = float((luma * w).sum()) / wsum
    std = float(np.sqrt(((luma - mean) ** 2 * w).sum() / wsum)) + 0.03
    z = (luma - mean) / std  # standardised luma: brightness/contrast invariant

    wk = np.broadcast_to(w, luma.shape)
    colour = np.concatenate([
        _soft_hist(z, wk, -2.5, 2.5, 16),
        _soft_hist(opp_a, wk, -0.5, 0.5, 12),
        _soft_hist(opp_b, wk, -0.6, 0.6, 12),
    ]) - np.concatenate([np.full(16, 1 / 16), np.full(12, 1 / 12), np.full(12, 1 / 12)])  # fmt: skip

    inner_z = _inner(z)  # (K, 12r, 8c)
    grid = _pool(np.moveaxis(inner_z, 0, -1), 12, 8)  # (12, 8, K)
    grid = np.moveaxis(grid, -1, 0)  # (K, 12, 8)
    sym = _fold(grid)[..., :4]
    anti = np.abs(grid - grid[..., ::-1])[..., :4]
    layout_mean = np.concatenate([sym.mean(0).ravel(), anti.mean(0).ravel()])  # 96
    seq = _pool(np.moveaxis(sym, 0, -1), 6, 2)  # (6, 2, K): coarse per-frame layout
    layout_seq = np.moveaxis(seq, -1, 0).ravel()  # 12 * K
    layout_seq = np.resize(layout_seq, 12 * 8)  # fixed size whatever K is

    inner_a, inner_b = _inner(opp_a), _inner(opp_b)
    chroma = np.concatenate([
        _fold(np.moveaxis(_pool(np.moveaxis(c, 0, -1), 6, 4), -1, 0))[..., :2].mean(0).ravel()
        for c in (inner_a, inner_b)
    ])  # fmt: skip  # 24

    gy, gx = np.gradient(inner_z, axis=(1, 2))
    mag = np.hypot(gx, gy)
    ang = np.arctan2(np.abs(gy), np.abs(gx))  # folded to [0, pi/2]: mirror-invariant
    pos = ang / (np.pi / 2) * 5
    i0 = np.minimum(pos.astype(np.int64), 5)
    f = pos - i0
    orient = np.zeros((*mag.shape, 6), np.float32)
    np.put_along_axis(orient, i0[..., None], (mag * (1 - f))[..., None], axis=-1)
    i1 = np.minimum(i0 + 1, 5)
    prev = np.take_along_axis(orient, i1[..., None], axis=-1)
    np.put_along_axis(orient, i1[..., None], prev + (mag * f)[..., None], axis=-1)
    ocells = np.moveaxis(orient, 0, -1)  # (H, W, 6, K)
    hog = _pool(ocells, 4, 4).mean(-1)  # (4, 4, 6)
    hog = (hog + hog[:, ::-1]).reshape(4, 4, 6)[:, :2]  # fold columns
    hog = hog / (float(hog.sum()) + 1e-6)

    diffs = np.abs(np.diff(grid, axis=0)) if k > 1 else np.zeros((1, *grid.shape[1:]))
    motion = _fold(_pool(np.moveaxis(diffs, 0, -1), 4, 4).mean(-1))[:, :2].ravel()  # 8

    out = np.concatenate([
        _block(colour, 1.0),
        _block(layout_mean, 1.2),
        _block(layout_seq, 0.8),
        _block(chroma, 0.6),
        _block(hog.ravel(), 0.8),
        _block(motion, 0.3),
    ])  # fmt: skip
    n = float(np.linalg.norm(out))
    return out / n if n > 0 else out


# --- audio ----------------------------------------------------------------------------


def _mel_bank(rate: int, n_fft: int, bands: int) -> np.ndarray:
    def mel(f: np.ndarray) -> np.ndarray:
        r: np.ndarray = 2595.0 * np.log10(1.0 + f / 700.0)
        return r

    edges_mel = np.linspace(mel(np.array(60.0)), mel(np.array(rate / 2 * 0.95)), bands + 2)
    edges = 700.0 * (10 ** (edges_mel / 2595.0) - 1.0)
    freqs = np.fft.rfftfreq(n_fft, 1.0 / rate)
    bank = np.zeros((bands, len(freqs)), np.float32)
    for b in range(bands):
        lo, mid, hi = edges[b], edges[b + 1], edges[b + 2]
        up = (freqs - lo) / max(mid - lo, 1e-9)
        down = (hi - freqs) / max(hi - mid, 1e-9)
        bank[b] = np.clip(np.minimum(up, down), 0, None)
    return bank


_BANDS, _N_FFT, _HOP = 40, 512, 256
SILENCE_RMS = 1e-4


def audio_descriptor(samples: np.ndarray, rate: int) -> np.ndarray:
    """Mono float32 samples -> (AUDIO_DIM,) float32 unit vector: a log-mel summary.

    Mean and spread of the log-mel spectrum over the clip plus a 4-step temporal profile
    of 8 coarse bands, each relative to the clip's own loudness (gain-invariant), and
    one loudness value. Silence (RMS under 1e-4, or no samples) maps to one fixed vector:
    a 1 in the last slot, which no sound ever sets.
    """
    x = np.asarray(samples, np.float32).ravel()
    out = np.zeros(AUDIO_DIM, np.float32)
    if x.size < _N_FFT or float(np.sqrt(np.mean(x**2))) < SILENCE_RMS:
        out[-1] = 1.0
        return out
    n = 1 + (x.size - _N_FFT) // _HOP
    idx = np.arange(_N_FFT)[None, :] + _HOP * np.arange(n)[:, None]
    spec = np.abs(np.fft.rfft(x[idx] * np.hanning(_N_FFT).astype(np.float32), axis=1)) ** 2
    logmel = np.log(spec @ _mel_bank(rate, _N_FFT, _BANDS).T + 1e-8)  # (n, 40)
    level = float(logmel.mean())
    rel = logmel - level
    coarse = rel.reshape(n, 8, _BANDS // 8).mean(-1)
    steps = np.array_split(coarse, 4, axis=0)
    profile = np.concatenate([s.mean(0) if len(s) else np.zeros(8) for s in steps])
    parts = [
        _block(rel.mean(0) / 10, 1.0),
        _block(rel.std(0) / 10, 0.6),
        _block(profile / 10, 0.8),
        np.array([np.tanh((level + 10) / 10) * 0.2], np.float32),
    ]
    body = np.concatenate(parts)
    out[: body.size] = body
    nrm = float(np.linalg.norm(out))
    return out / nrm if nrm > 0 else out
