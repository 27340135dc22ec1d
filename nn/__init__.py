"""A neural network written from scratch in NumPy, and what it needs to learn MNIST."""
