"""Auto mode on real transformer architectures, against PyTorch's ``inference_mode``.

BERT, DistilBERT and RoBERTa (token classification, 9 tags) and ViT (image classification)
from the transformers library, built from MiniLM-sized configs (hidden 384, 6 layers, 6
heads, feed-forward 1536) with random weights: the models the auto-tune issue saw handed
back at 0.74-0.92x of the original's speed. Each is exported to ONNX, optimized with
``--auto`` across runtimes, and measured against its own ``inference_mode`` call exactly as
``model_suite.py`` measures its models (same tolerance, same JSON fields per model). The
last line printed is one JSON object with ``geomean_speedup``.

    python benchmarks/transformers_suite.py [--only bert,vit] [--runs 20]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from model_suite import Built, _torch_built, run_suite

# transformers imports torchvision where it is installed; beside the CPU torch wheel that
# needs the tests' import helper (see the README)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "backend"))

SIZES = dict(hidden_size=384, num_hidden_layers=6, num_attention_heads=6, intermediate_size=1536)
VOCAB, SEQUENCE, BATCH, TAGS = 5000, 128, 4, 9
IMAGE, PATCH = 160, 16


def first_output(model: Any) -> Any:
    """``model`` (a transformers model) as a module returning its first output (logits)."""
    import torch

    class Logits(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.model(x, return_dict=False)[0]

    return Logits().eval()


def _transformers() -> Any:
    from real_models import import_torchvision

    import_torchvision()
    import transformers

    transformers.logging.set_verbosity_error()
    return transformers


def _token_model(folder: Path, name: str, config: Any, model_class: Any) -> Built:
    import torch

    torch.manual_seed(0)
    ids = torch.randint(0, VOCAB, (BATCH, SEQUENCE))
    return _torch_built(first_output(model_class(config)), ids, folder, name, "input_ids")


def bert(folder: Path) -> Built:
    tr = _transformers()
    config = tr.BertConfig(vocab_size=VOCAB, num_labels=TAGS, **SIZES)
    return _token_model(folder, "bert", config, tr.BertForTokenClassification)


def distilbert(folder: Path) -> Built:
    tr = _transformers()
    config = tr.DistilBertConfig(
        vocab_size=VOCAB,
        dim=SIZES["hidden_size"],
        n_layers=SIZES["num_hidden_layers"],
        n_heads=SIZES["num_attention_heads"],
        hidden_dim=SIZES["intermediate_size"],
        num_labels=TAGS,
    )
    return _token_model(folder, "distilbert", config, tr.DistilBertForTokenClassification)


def roberta(folder: Path) -> Built:
    tr = _transformers()
    config = tr.RobertaConfig(
        vocab_size=VOCAB, max_position_embeddings=SEQUENCE + 2, num_labels=TAGS, **SIZES
    )
    return _token_model(folder, "roberta", config, tr.RobertaForTokenClassification)


def vit(folder: Path) -> Built:
    import torch

    tr = _transformers()
    config = tr.ViTConfig(image_size=IMAGE, patch_size=PATCH, num_labels=1000, **SIZES)
    torch.manual_seed(0)
    images = torch.randn(BATCH, 3, IMAGE, IMAGE)
    model = first_output(tr.ViTForImageClassification(config))
    return _torch_built(model, images, folder, "vit", "pixel_values")


SUITE = {"bert": bert, "distilbert": distilbert, "roberta": roberta, "vit": vit}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated subset of " + ",".join(SUITE))
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(SUITE)
    summary = run_suite(names, args.runs, SUITE)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
