import keras
import keras_hub

from keras_seq import decoding
from keras_seq.testing import TestCase


class GetSamplerTest(TestCase):
    def test_names_give_keras_hub_samplers_and_beam_search(self):
        expected = {
            "greedy": keras_hub.samplers.GreedySampler,
            "random": keras_hub.samplers.RandomSampler,
            "top_k": keras_hub.samplers.TopKSampler,
            "top_p": keras_hub.samplers.TopPSampler,
            "beam": decoding.BeamSearch,
        }
        for name, cls in expected.items():
            self.assertIs(type(decoding.get_sampler(name)), cls)
        sampler = decoding.get_sampler("TOP_K", k=7, temperature=0.5)
        self.assertEqual((sampler.k, sampler.temperature), (7, 0.5))

    def test_instances_pass_through(self):
        sampler = keras_hub.samplers.TopPSampler(p=0.9)
        self.assertIs(decoding.get_sampler(sampler), sampler)

    def test_beam_search_config_round_trip(self):
        sampler = decoding.BeamSearch(
            num_beams=5, length_penalty=1.0, num_results=3, temperature=0.7
        )
        config = keras.saving.serialize_keras_object(sampler)
        restored = keras.saving.deserialize_keras_object(config)
        self.assertIsInstance(restored, decoding.BeamSearch)
        self.assertEqual(restored.get_config(), sampler.get_config())

    def test_invalid_arguments(self):
        with self.assertRaisesRegex(ValueError, "'greedy'"):
            decoding.get_sampler("nucleus")
        with self.assertRaisesRegex(ValueError, "`sampler`"):
            decoding.get_sampler(3)
        with self.assertRaisesRegex(TypeError, "'top_k' sampler"):
            decoding.get_sampler("top_k", beams=3)
        with self.assertRaisesRegex(ValueError, "set them when creating"):
            decoding.get_sampler(decoding.BeamSearch(), num_beams=2)
        with self.assertRaisesRegex(ValueError, "at most `num_beams`"):
            decoding.BeamSearch(num_beams=2, num_results=3)
        with self.assertRaisesRegex(ValueError, "`num_beams`"):
            decoding.BeamSearch(num_beams=0)
