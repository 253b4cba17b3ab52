"""Training-time PyTorch models for rcl: the residual compressor (RC) and the Q-classifier (QC)."""
