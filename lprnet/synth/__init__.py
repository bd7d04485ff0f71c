"""Offline training data: synthetic 3DMM faces and 3DDFA-style face profiling of real photos."""
