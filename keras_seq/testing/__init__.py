"""Test helpers shared by every keras_seq test (and usable by yours)."""

from keras_seq.testing.test_case import TestCase

__all__ = ["TestCase"]
