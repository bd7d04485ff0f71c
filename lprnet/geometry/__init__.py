"""Face geometry: the BFM, 3DDFA poses, UV position maps, PRNet's crop (NumPy only)."""
