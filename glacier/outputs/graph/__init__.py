"""Graph outputs: one module per format, each a pure function of the project model."""
