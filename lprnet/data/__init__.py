"""Datasets: 300W-LP / AFLW2000-3D readers, training samples, TFRecord shards."""
