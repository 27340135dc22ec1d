"""The thin layer between the pages and the engine: session state, training workers, figures."""
