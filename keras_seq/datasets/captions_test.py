import csv
import json
import os
import shutil
from unittest import mock

import numpy as np

from keras_seq.datasets import captions
from keras_seq.testing import TestCase


class CocoMiniTest(TestCase):
    def test_photos_and_five_captions_each(self):
        images, texts = captions.load_coco_mini(path=self.get_data_dir())
        self.assertLen(images, 51)
        self.assertEqual([len(c) for c in texts], [5] * 51)
        for image in images:
            self.assertEqual(image.dtype, np.uint8)
            self.assertEqual(image.shape[2], 3)
            self.assertEqual(max(image.shape[:2]), 256)
        # The caption with a line break in the file reads as one line.
        flat = [caption for group in texts for caption in group]
        self.assertIn(
            "Two pizza pies sitting atop a stove getting ready to be cut .",
            flat,
        )
        self.assertFalse(any("\n" in caption for caption in flat))

    def test_resized_and_by_directory(self):
        directory = os.path.join(self.get_data_dir(), "captioning", "coco-mini")
        images, texts = captions.load_coco_mini(directory, image_size=(32, 48))
        self.assertEqual(images.shape, (51, 32, 48, 3))
        with mock.patch.dict(
            os.environ, {"KERAS_SEQ_DATA_DIR": self.get_data_dir()}
        ):
            _, again = captions.load_coco_mini()
        self.assertEqual(texts, again)

    def test_corrupted_missing_and_unreadable(self):
        copy = os.path.join(self.get_temp_dir(), "coco-mini")
        shutil.copytree(
            os.path.join(self.get_data_dir(), "captioning", "coco-mini"), copy
        )
        with open(os.path.join(copy, "captions.tsv"), "a") as file:
            file.write("000000000790.jpg\tan extra caption\n")
        with self.assertRaisesRegex(ValueError, "Checksum mismatch"):
            captions.load_coco_mini(copy)
        os.remove(os.path.join(copy, "captions.tsv"))
        with self.assertRaisesRegex(FileNotFoundError, "captions.tsv"):
            captions.load_coco_mini(copy)
        with mock.patch.dict(os.environ, {"KERAS_SEQ_DATA_DIR": ""}):
            with self.assertRaisesRegex(FileNotFoundError, "no public"):
                captions.load_coco_mini()
        broken = os.path.join(copy, "images", "000000000790.jpg")
        with open(broken, "wb") as file:
            file.write(b"not a jpeg")
        with self.assertRaisesRegex(ValueError, "000000000790.jpg"):
            captions.load_images([broken])
        with self.assertRaisesRegex(ValueError, "`image_size`"):
            captions.load_images([], image_size=(0, 3))


class CaptionFilesTest(TestCase):
    """COCO and Flickr8k layouts, written from real COCO captions."""

    def setUp(self):
        super().setUp()
        path = os.path.join(
            self.get_data_dir(),
            "captioning",
            "coco-mini-all-captions-licences.json",
        )
        with open(path) as file:
            self.records = json.load(file)[:20]
        self.expected_files = sorted(r["file_name"] for r in self.records)
        by_file = {r["file_name"]: r["captions"] for r in self.records}
        self.expected = [
            [" ".join(c.split()) for c in by_file[name]]
            for name in self.expected_files
        ]

    def test_coco_annotation_file(self):
        annotations = {
            "images": [
                {"id": r["image_id"], "file_name": r["file_name"]}
                for r in self.records
            ],
            "annotations": [
                {"image_id": r["image_id"], "id": i, "caption": caption}
                for r in self.records
                for i, caption in enumerate(r["captions"])
            ],
        }
        path = os.path.join(self.get_temp_dir(), "captions_val2017.json")
        with open(path, "w") as file:
            json.dump(annotations, file)
        files, texts = captions.load_coco_captions(path, "val2017")
        self.assertEqual(
            files, [os.path.join("val2017", f) for f in self.expected_files]
        )
        self.assertEqual(texts, self.expected)
        with open(path, "w") as file:
            json.dump([1, 2], file)
        with self.assertRaisesRegex(ValueError, "not a COCO caption file"):
            captions.load_coco_captions(path)

    def test_flickr8k_token_and_csv_layouts(self):
        directory = self.get_temp_dir()
        token = os.path.join(directory, "Flickr8k.token.txt")
        with open(token, "w") as file:
            for record in self.records:
                for i, caption in enumerate(record["captions"]):
                    clean = " ".join(caption.split())
                    file.write(f"{record['file_name']}#{i}\t{clean}\n")
        table = os.path.join(directory, "captions.txt")
        with open(table, "w", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(["image", "caption"])
            for record in self.records:
                for caption in record["captions"]:
                    writer.writerow([record["file_name"], caption])
        for path in (token, table):
            files, texts = captions.load_flickr8k_captions(path)
            self.assertEqual(files, self.expected_files)
            self.assertEqual(texts, self.expected)
        with open(token, "a") as file:
            file.write("no tab on this line\n")
        with self.assertRaisesRegex(ValueError, "no tab on this line"):
            captions.load_flickr8k_captions(token)
