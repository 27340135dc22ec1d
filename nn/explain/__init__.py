"""What a trained network does, as numbers for the pages to draw: inspection of weights and
activations (``inspection``), saliency of one reading (``saliency``) and test-set scorecards (``scorecard``).

Support code: it runs the engine's own forward pass and draws nothing.
"""
