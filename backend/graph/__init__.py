"""The model graph view's backend: one typed graph for every format, its layout, its diff.

Each format's extractor (``onnx_graph``, ``tf_graph``, ``torch_graph``, ``mxnet_graph``)
lowers the framework's own node list to a :class:`~opscope.backend.graph.model.ModelGraph`;
``view`` collapses name scopes, ``layout`` places what is shown in layers, ``diff`` matches
two ONNX graphs and ``profile_times`` joins an onnxruntime profile to the nodes. Nothing here
imports Qt; frameworks are imported only inside the extractor of their format, in a job.
"""
