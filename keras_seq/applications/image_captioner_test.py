import os

import keras
import numpy as np

from keras_seq.applications import ImageCaptioner
from keras_seq.applications import image_captioner
from keras_seq.applications.vocabulary import RESERVED_TOKENS
from keras_seq.datasets import captions as captions_data
from keras_seq.datasets import mnist_captions
from keras_seq.testing import TestCase

DIGIT_VOCABULARY = list(RESERVED_TOKENS) + list(mnist_captions.DIGIT_WORDS)


def digit_data(test, num_images=200, seed=0):
    (x, y), _, _ = mnist_captions.load_data(
        num_train=num_images,
        num_validation=1,
        num_test=1,
        max_digits=3,
        seed=seed,
        path=test.get_data_dir(),
    )
    return x, y


def small_captioner(**kwargs):
    kwargs = {
        "vocabulary": DIGIT_VOCABULARY,
        "encoder": None,
        "image_size": (28, 84),
        "units": 16,
        "embedding_dim": 8,
        "max_caption_length": 6,
        **kwargs,
    }
    return ImageCaptioner(**kwargs)


class ImageCaptionerTest(TestCase):
    def test_no_arguments_builds_a_usable_model(self):
        model = ImageCaptioner()
        self.assertEqual(model.encoder_name, "mobilenet_v3_small")
        self.assertEqual(model.feature_grid, (7, 7))
        self.assertTrue(model.encoder_trainable)
        image = np.random.default_rng(0).integers(0, 256, (224, 224, 3))
        with self.assertRaisesRegex(ValueError, "no vocabulary yet"):
            model.caption(image.astype("uint8"))
        model.adapt(["A cat on a mat.", "A dog on a log."])
        self.assertEqual(model.vocabulary[:4], list(RESERVED_TOKENS))
        self.assertIn("cat", model.vocabulary)
        caption = model.caption(image.astype("uint8"), max_length=3)
        self.assertIsInstance(caption, str)
        self.assertLessEqual(len(caption.split()), 3)
        with self.assertRaisesRegex(ValueError, "already has a vocabulary"):
            model.adapt(["Another caption."])

    def test_fit_adapts_and_loss_falls_on_digit_captions(self):
        images, texts = digit_data(self)
        model = small_captioner(vocabulary=None)
        history = model.fit(images, texts, batch_size=20, epochs=4, verbose=0)
        losses = history.history["loss"]
        self.assertEqual(
            sorted(model.vocabulary[4:]), sorted(mnist_captions.DIGIT_WORDS)
        )
        # Four epochs of 10 steps: the loss falls by 0.4–0.5 nats here.
        self.assertLess(losses[-1], losses[0] - 0.2)
        self.assertLen(model.caption(images[:5]), 5)

    def test_several_captions_per_image_are_all_pairs(self):
        photos, texts = captions_data.load_coco_mini(
            path=self.get_data_dir(), image_size=(32, 32)
        )
        model = ImageCaptioner(
            encoder=None, image_size=32, units=8, embedding_dim=4
        )
        model.adapt(texts, vocabulary_size=300)
        dataset = model.make_dataset(
            photos[:10], texts[:10], batch_size=16, shuffle=False
        )
        self.assertEqual(int(dataset.cardinality()), 4)  # 50 pairs
        (inputs, labels, weights), *_ = list(dataset.take(1))
        self.assertEqual(tuple(inputs["images"].shape), (16, 32, 32, 3))
        self.assertEqual(inputs["caption_ids"].shape[1] % 8, 0)
        first = model.tokenize(texts[0][0])[0]
        np.testing.assert_array_equal(
            labels.numpy()[0, : len(first) + 1], [*first, 3]
        )
        self.assertEqual(weights.numpy()[0].sum(), len(first) + 1)
        # Every photo's five captions appear with its own pixels.
        np.testing.assert_array_equal(
            inputs["images"].numpy()[:5], np.repeat(photos[:1], 5, axis=0)
        )

    def test_images_are_converted_as_documented(self):
        model = small_captioner()
        gray = np.random.default_rng(1).integers(0, 256, (2, 14, 40))
        gray = gray.astype("uint8")
        converted = model.preprocess_images(gray)
        self.assertEqual(converted.shape, (2, 28, 84, 3))
        self.assertEqual(converted.dtype, np.uint8)
        np.testing.assert_array_equal(converted[..., 0], converted[..., 2])
        one_channel = model.preprocess_images(np.zeros((1, 28, 84, 1)))
        self.assertEqual(one_channel.shape, (1, 28, 84, 3))
        self.assertEqual(one_channel.dtype, np.float32)
        listed = model.preprocess_images([gray[0], gray[1]])
        np.testing.assert_array_equal(listed, converted)

    def test_files_and_bad_images(self):
        model = small_captioner()
        directory = os.path.join(
            self.get_data_dir(), "captioning", "coco-mini", "images"
        )
        path = os.path.join(directory, sorted(os.listdir(directory))[0])
        self.assertIsInstance(model.caption(path), str)
        self.assertLen(model.caption([path, path]), 2)
        text_file = os.path.join(self.get_temp_dir(), "notes.jpg")
        with open(text_file, "w") as file:
            file.write("not an image")
        with self.assertRaisesRegex(ValueError, "notes.jpg"):
            model.caption(text_file)
        corrupted = os.path.join(self.get_temp_dir(), "cut.jpg")
        with open(path, "rb") as source, open(corrupted, "wb") as target:
            target.write(source.read()[:300])
        with self.assertRaisesRegex(ValueError, "cut.jpg"):
            model.caption(corrupted)
        with self.assertRaisesRegex(ValueError, "1 \\(grayscale\\) or 3"):
            model.caption(np.zeros((2, 28, 84, 2), "uint8"))
        with self.assertRaisesRegex(TypeError, "images"):
            model.caption(42)
        with self.assertRaisesRegex(TypeError, "dtype"):
            model.caption(np.zeros((1, 28, 84, 3), bool))
        # No images give no captions, as an empty array of them does; their
        # preprocessing alone has no shape to give an empty list.
        self.assertEqual(model.caption([]), [])
        self.assertEqual(model.caption(np.zeros((0, 28, 84, 3), "uint8")), [])
        with self.assertRaisesRegex(ValueError, "empty list"):
            model.preprocess_images([])

    def test_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, "`encoder`"):
            ImageCaptioner(encoder="vgg99")
        with self.assertRaisesRegex(ValueError, "small CNN"):
            ImageCaptioner(encoder=None, encoder_weights="imagenet")
        with self.assertRaisesRegex(ValueError, "`encoder_weights`"):
            ImageCaptioner(encoder="resnet50", encoder_weights="/no/file.h5")
        with self.assertRaisesRegex(ValueError, "`image_size`"):
            ImageCaptioner(encoder=None, image_size=(32, 0))
        with self.assertRaisesRegex(ValueError, "`cell`"):
            ImageCaptioner(encoder=None, cell="rnn")
        with self.assertRaisesRegex(ValueError, "attention_regularization"):
            small_captioner(attention_regularization=-1)
        model = small_captioner()
        images, texts = digit_data(self, 4)
        with self.assertRaisesRegex(ValueError, "4 images and 3 `captions`"):
            model.fit(images, texts[:3], epochs=1, verbose=0)
        with self.assertRaisesRegex(ValueError, "empty list of `captions`"):
            model.make_dataset(images[:1], [[]])

    def test_beam_search_and_n_best(self):
        model = small_captioner()
        images, _ = digit_data(self, 3)
        beams = model.caption(images, sampler="beam", num_beams=3)
        self.assertLen(beams, 3)
        self.assertTrue(all(isinstance(c, str) for c in beams))
        best = model.caption(
            images[0], sampler="beam", num_beams=3, num_results=2
        )
        self.assertLen(best, 2)

    def test_frozen_next_matches_next(self):
        # The torch decoding loop's `next`, with the weights read once.
        model = small_captioner(cell="lstm", attention="bahdanau")
        images, _ = digit_data(self, 3)
        context = {"images": keras.ops.convert_to_tensor(images)}
        prompt = keras.ops.convert_to_tensor(
            np.random.default_rng(0).integers(4, len(DIGIT_VOCABULARY), (3, 5))
        )
        cache = model.prefill(prompt[:, :1], context)
        self.run_frozen_next_test(model, prompt, cache, range(2, 6))

    def test_saving_keeps_vocabulary_and_captions(self):
        images, texts = digit_data(self, 60)
        model = small_captioner(cell="gru", attention="luong")
        model.fit(images, texts, batch_size=20, epochs=1, verbose=0)
        path = os.path.join(self.get_temp_dir(), "captioner.keras")
        model.save(path)
        restored = keras.saving.load_model(path, safe_mode=True)
        self.assertEqual(restored.vocabulary, model.vocabulary)
        self.assertEqual(restored.image_size, (28, 84))
        self.assertEqual(
            restored.caption(images[:4]), model.caption(images[:4])
        )
        inputs = {"images": images[:2], "caption_ids": np.full((2, 3), 2)}
        self.assertAllClose(model(inputs), restored(inputs), atol=1e-5)

    def test_keras_model_encoder_and_weights_file(self):
        encoder = keras.Sequential(
            [
                keras.layers.Rescaling(1 / 255),
                keras.layers.Conv2D(4, 3, strides=4),
            ],
            name="my_encoder",
        )
        model = small_captioner(encoder=encoder)
        self.assertEqual(model.feature_grid, (7, 21))
        self.assertFalse(model.encoder_name)
        images, _ = digit_data(self, 2)
        path = os.path.join(self.get_temp_dir(), "custom.keras")
        model.save(path)
        restored = keras.saving.load_model(path)
        inputs = {"images": images, "caption_ids": np.full((2, 3), 2)}
        self.assertAllClose(model(inputs), restored(inputs), atol=1e-5)
        # A named encoder loads a local weights file.
        first = ImageCaptioner(encoder="resnet50", image_size=32)
        weights = os.path.join(self.get_temp_dir(), "encoder.weights.h5")
        first.encoder.save_weights(weights)
        second = ImageCaptioner(
            encoder="resnet50", image_size=32, encoder_weights=weights
        )
        self.assertFalse(second.encoder_trainable)
        for a, b in zip(first.encoder.weights, second.encoder.weights):
            self.assertAllClose(a, b)

    def test_attention_plot_and_regularizer(self):
        model = small_captioner(attention_regularization=1.0)
        images, _ = digit_data(self, 2)
        path = os.path.join(self.get_temp_dir(), "attention.png")
        figure = model.plot_attention(images[0], path, max_length=4)
        self.assertTrue(os.path.getsize(path) > 0)
        caption = model.caption(images[0], max_length=4)
        # One panel for the image, one per word and the end token, at most.
        self.assertBetween(
            len([a for a in figure.axes if a.images]),
            2,
            len(caption.split()) + 2,
        )
        inputs = {"images": images, "caption_ids": np.full((2, 3), 2)}
        model(inputs, training=True)
        self.assertLen(model.losses, 1)
        # With one step over 3 x 10 positions, coverage is 1/30 on average.
        penalty = float(keras.ops.convert_to_numpy(model.losses[0]))
        self.assertBetween(penalty, 0.8, 1.0)
        model(inputs, training=False)
        self.assertEmpty(model.losses)

    def test_evaluate_captions_scores_against_all_references(self):
        model = small_captioner()
        images, texts = digit_data(self, 6)
        references = [[text, "zero"] for text in texts]
        model.caption = lambda pixels, **kwargs: [
            group[0] for group in references
        ]
        results = image_captioner.evaluate_captions(model, images, references)
        self.assertEqual(results["exact_match"], 1.0)
        self.assertAllClose(results["bleu_1"], 1.0)
        self.assertGreater(results["cider_d"], 0.0)
        self.assertEqual(results["num_images"], 6)

    def test_tf_data_pipeline_of_image_caption_pairs(self):
        import tensorflow as tf

        images, texts = digit_data(self, 40)
        pairs = tf.data.Dataset.from_tensor_slices((images, texts))
        model = small_captioner()
        dataset = model.make_dataset(pairs, None, batch_size=8, shuffle=False)
        inputs, labels, weights = next(iter(dataset))
        self.assertEqual(tuple(inputs["images"].shape), (8, 28, 84, 3))
        self.assertEqual(inputs["caption_ids"].shape[1] % 8, 0)
        expected = model.make_dataset(images, texts, 8, shuffle=False)
        expected_inputs, expected_labels, _ = next(iter(expected))
        np.testing.assert_array_equal(labels, expected_labels)
        self.assertAllClose(inputs["images"], expected_inputs["images"])
        # One weight per real label: the words and the end token.
        np.testing.assert_array_equal(weights, expected_labels.numpy() != 0)
        history = model.fit(pairs, batch_size=8, epochs=2, verbose=0)
        self.assertLen(history.history["loss"], 2)
        with self.assertRaisesRegex(ValueError, "unbatched"):
            model.make_dataset(pairs.batch(2), None)
