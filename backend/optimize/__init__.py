"""The optimization pipeline: prune, quantize, verify, benchmark, auto-tune, profile, export.

Every step is a small function over an ONNX file or ``ModelProto`` with explicit arguments;
the job functions in :mod:`opscope.backend.optimize.jobs` compose them. Frameworks and
onnxruntime are imported inside functions, so importing this package stays cheap.
"""
