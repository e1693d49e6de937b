"""Name scopes: where a node sits in the model's module tree, as a "/"-separated path.

Exporters record the module path differently: torch's TorchScript exporter and TensorFlow
put it in the node name (``/encoder/layer.3/attention/MatMul``,
``functional_1/bidirectional_1/forward_lstm_1/MatMul``); torch's dynamo exporter names
nodes flatly (``node_Gemm_123``) and writes the path into the ``namespace`` metadata
property (``: M/enc: TransformerEncoder/enc.layers.0: TransformerEncoderLayer``).
"""

from __future__ import annotations

from collections.abc import Iterable


def scope_of_name(name: str) -> str:
    """The path before the last "/" of a node name, without leading or empty parts."""
    parts = [p for p in name.split("/") if p]
    return "/".join(parts[:-1])


def scope_of_namespace(namespace: str) -> str:
    """The module path of a dynamo ``namespace`` property, one level per module.

    Each level is ``qualified.path: Class``; a level's path repeats its parent's, so only
    the new suffix is kept (``enc`` / ``layers.0`` / ``self_attn``). The last level is the
    call the node was made from (``linear: aten.linear.default``), not a module.
    """
    levels: list[str] = []
    parent = ""
    for level in namespace.split("/")[:-1]:
        path = level.split(":", 1)[0].strip()
        if not path:
            continue
        suffix = path[len(parent) + 1 :] if parent and path.startswith(parent + ".") else path
        levels.append(suffix)
        parent = path
    return "/".join(levels)


def ancestors(scope: str) -> list[str]:
    """``a/b/c`` -> ``["a", "a/b", "a/b/c"]``; the top level ("") has none."""
    parts = scope.split("/") if scope else []
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def parent_of(scope: str) -> str:
    return scope.rsplit("/", 1)[0] if "/" in scope else ""


def scope_sizes(scopes: Iterable[str]) -> dict[str, int]:
    """How many nodes each scope holds, nested scopes included."""
    sizes: dict[str, int] = {}
    for scope in scopes:
        for ancestor in ancestors(scope):
            sizes[ancestor] = sizes.get(ancestor, 0) + 1
    return sizes
