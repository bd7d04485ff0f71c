"""Posmap networks: full PRNet (resfcn256) and the light L-PRNet, as plain tf_keras builders."""
