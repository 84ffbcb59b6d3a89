"""Generation: compiled sampling loops over any model with `next`.

`generate` and `generate_stream` drive a model that implements
`prefill(tokens, context)` and `next(prompt, state, index) -> (logits,
hidden, state)` with KerasHub's samplers (greedy, random, top-k, top-p) or
keras_seq's `BeamSearch`.
"""

from keras_seq.decoding.generation import compiled_functions
from keras_seq.decoding.generation import generate
from keras_seq.decoding.generation import generate_stream
from keras_seq.decoding.samplers import BeamSearch
from keras_seq.decoding.samplers import get_sampler

__all__ = [
    "BeamSearch",
    "compiled_functions",
    "generate",
    "generate_stream",
    "get_sampler",
]
