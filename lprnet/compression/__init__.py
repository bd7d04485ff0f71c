"""Compression of posmap networks: pruning-aware fine-tuning, sparsity-preserving QAT, int8.

* :mod:`.sparsity` - magnitude pruning (tfmot) and sparsity read back from Keras and TFLite.
* :mod:`.pqat` - sparsity-preserving quantisation-aware training with Conv2DTranspose support.
* :mod:`.finetune` - the fine-tuning data (training shards, or distillation on the embedded set)
  and loop.
* :mod:`.compress` - the whole recipe behind ``lprnet compress``.
"""
