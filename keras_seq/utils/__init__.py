"""Private helpers shared by keras_seq's subpackages."""
