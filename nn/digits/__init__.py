"""Handwritten digits beyond the dataset: MNIST-style preprocessing of drawings (``preprocess``),
random distortions for training and fixed ones for the Lab's damage tests (``augment``) and
fine-tuning on a person's own digits (``finetune``).

Support code: the engine never imports it (a trainer is handed ``augment`` as a transform).
"""
