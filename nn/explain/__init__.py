"""What a trained network does, as numbers for the pages to draw: inspection of weights and
activations (``inspection``), saliency of one reading (``saliency``), test-set scorecards
(``scorecard``), the plain-words diagnosis of a run (``diagnosis``) and the Lab page's broken
copies, unit rankings, coverage and damage curves (``lab``).

Support code: it runs the engine's own forward pass and draws nothing.
"""
