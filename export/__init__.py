"""Model export: TFLite (LiteRT), TF.js and ONNX converters."""
