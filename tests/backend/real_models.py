"""Real architectures from the libraries people use, random weights, saved as users save them.

Nothing is downloaded: torchvision and keras.applications build with ``weights=None``,
transformers from small configs, the gluon model zoo with ``pretrained=False``. Sizes are
small (resolution 64 or less, two transformer layers of width 32) so that each builds and
converts in seconds on two cores, but every layer type of the real model is there.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import numpy as np

IMAGE = 64
SEQUENCE = 16
VOCAB = 1000
MAX_POSITIONS = 128
TORCHVISION_OPS = (
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
)


def import_torchvision() -> Any:
    """``import torchvision`` beside the CPU build of torch 2.13.0.

    PyPI's torchvision 0.28.0 (the release for torch 2.13.0) is built against CUDA torch,
    so its C++ extension does not load next to the CPU wheel, and its import then fails on
    ``register_fake("torchvision::nms")`` (the one registration it does not guard with
    ``_has_ops()``). The classification models use none of those ops: when the extension
    does not load, declaring the two schemas (no kernels) lets the Python package import,
    and calling ``nms`` would still fail loudly.
    """
    import torch

    spec = importlib.util.find_spec("torchvision")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("torchvision")
    if "torchvision" not in sys.modules and not _LIBRARY:
        extension = next(Path(spec.submodule_search_locations[0]).glob("_C*.so"), None)
        try:
            torch.ops.load_library(str(extension))
        except (OSError, TypeError):
            library = torch.library.Library("torchvision", "FRAGMENT")
            for schema in TORCHVISION_OPS:
                library.define(schema)
            _LIBRARY.append(library)  # the declarations live as long as the library object
    import torchvision

    return torchvision


_LIBRARY: list[Any] = []


# --- torch ---------------------------------------------------------------------------------


def _quiet_export(model: Any, args: tuple, kwargs: dict | None = None) -> Any:
    import torch

    return torch.export.export(model, args, kwargs or {})


def torchvision_model(name: str) -> Any:
    tv = import_torchvision()
    return getattr(tv.models, name)(weights=None, num_classes=10).eval()


def torchvision_vit() -> Any:
    """torchvision's VisionTransformer class, at a size that builds in a second."""
    tv = import_torchvision()
    return tv.models.VisionTransformer(
        image_size=32,
        patch_size=8,
        num_layers=2,
        num_heads=2,
        hidden_dim=32,
        mlp_dim=64,
        num_classes=10,
    ).eval()


def image_batch(size: int = IMAGE) -> Any:
    import torch

    return torch.randn(2, 3, size, size)


def save_torchscript(model: Any, args: tuple | dict, path: Path) -> Path:
    """Trace on positional ``args``, or on keyword inputs when ``args`` is a dict."""
    import torch

    if isinstance(args, dict):
        traced = torch.jit.trace(model, example_kwarg_inputs=args, check_trace=False)
    else:
        traced = torch.jit.trace(model, args, check_trace=False)
    traced.save(str(path))
    return path


def save_program(model: Any, args: tuple, path: Path, kwargs: dict | None = None) -> Path:
    import torch

    torch.export.save(_quiet_export(model, args, kwargs), str(path))
    return path


# --- transformers --------------------------------------------------------------------------


def _small(config_class: Any, **extra: Any) -> Any:
    sizes = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)
    return config_class(**{**sizes, **extra})


def transformer(kind: str, *, return_dict: bool = True) -> Any:
    """A transformers model from a small config: bert, distilbert, gpt2 or vit."""
    import transformers as tr

    import_torchvision()  # transformers imports it when it is installed
    if kind == "bert":
        config = _small(tr.BertConfig, vocab_size=VOCAB, max_position_embeddings=MAX_POSITIONS)
        model_class = tr.BertModel
    elif kind == "distilbert":
        config = tr.DistilBertConfig(
            vocab_size=VOCAB,
            dim=32,
            n_layers=2,
            n_heads=2,
            hidden_dim=64,
            max_position_embeddings=MAX_POSITIONS,
        )
        model_class = tr.DistilBertModel
    elif kind == "gpt2":
        config = tr.GPT2Config(
            vocab_size=VOCAB,
            n_embd=32,
            n_layer=2,
            n_head=2,
            n_positions=MAX_POSITIONS,
            use_cache=False,
        )
        model_class = tr.GPT2Model
    elif kind == "vit":
        config = _small(tr.ViTConfig, image_size=32, patch_size=8, num_channels=3)
        model_class = tr.ViTModel
    else:
        raise ValueError(kind)
    config.return_dict = return_dict
    return model_class(config).eval()


def token_classifier(tags: int = 9) -> Any:
    """A BERT token classifier (a tagger) from a small config: a tuple of logits per token."""
    import transformers as tr

    import_torchvision()
    config = _small(
        tr.BertConfig, vocab_size=VOCAB, max_position_embeddings=MAX_POSITIONS, num_labels=tags
    )
    config.return_dict = False
    return tr.BertForTokenClassification(config).eval()


def token_batch(sequence: int = SEQUENCE) -> tuple[Any, Any]:
    """Token ids over the whole vocabulary and an attention mask with padding."""
    import torch

    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(0, VOCAB, (2, sequence), generator=generator)
    mask = torch.ones(2, sequence, dtype=torch.int64)
    mask[1, sequence // 2 :] = 0
    return ids, mask


# --- keras ---------------------------------------------------------------------------------


def keras_application(name: str, **options: Any) -> Any:
    """A keras.applications model (MobileNet at width 0.25 unless told otherwise)."""
    import keras

    constructor = getattr(keras.applications, name)
    options = {"alpha": 0.25, **options} if name == "MobileNet" else options
    return constructor(weights=None, input_shape=(IMAGE, IMAGE, 3), classes=10, **options)


def save_keras(model: Any, path: Path) -> Path:
    model.save(str(path))
    return path


def save_savedmodel(model: Any, path: Path) -> Path:
    model.export(str(path), verbose=False)
    return path


# --- mxnet ---------------------------------------------------------------------------------


def gluon_model(name: str, folder: Path) -> Path:
    """A gluon model-zoo network exported as ``NAME-symbol.json`` + ``NAME-0000.params``."""
    if "bool" not in np.__dict__:
        np.bool = bool  # type: ignore[attr-defined]  # mxnet 1.9.1 on numpy >= 1.24
    import mxnet as mx
    from mxnet.gluon.model_zoo import vision

    net = vision.get_model(name, pretrained=False, classes=10)
    net.initialize(mx.init.Xavier())
    net.hybridize()
    net(mx.nd.zeros((1, 3, IMAGE, IMAGE)))
    folder.mkdir(parents=True, exist_ok=True)
    net.export(str(folder / name))
    return folder / f"{name}-symbol.json"
