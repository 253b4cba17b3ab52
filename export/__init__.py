"""Export of the trained PyTorch models to ONNX, with parity checks and the shipped manifest."""
