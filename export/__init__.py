"""Model export: TFLite (LiteRT), TF.js and ONNX, with metadata, parity checks and a manifest.

* :mod:`export.registry`: the one table of formats / precisions / thresholds.
* :mod:`export.api`: ``export_model`` / ``export_many`` / ``ensure_artifact``.
* :mod:`export.tflite`, :mod:`export.tfjs`, :mod:`export.onnx`, :mod:`export.keras`: converters.
* :mod:`export.metadata`: what every artifact carries, embedded per format, read back.
* :mod:`export.parity`: each artifact against Keras on real crops; :mod:`export.tfjs_node`
  runs a TF.js folder in TF.js itself (Node).
* :mod:`export.manifest`: ``manifest.json`` (files, sizes, sha256, parity).
* :mod:`export.android`: ``android_assets/`` and its byte-exact check.
* :mod:`export.command`: the ``lprnet export`` verb.

See docs/export.md.
"""
