"""Inference runtimes besides onnxruntime: reading, compiling, running and saving a model in
each, so auto mode, ``bench`` and ``profile`` can measure and export what runs fastest here.

Each runtime is imported only inside its own module, inside a job (never by the GUI)."""
