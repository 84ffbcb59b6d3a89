"""Image captions: the coco-mini photos, and COCO 2017 / Flickr8k files.

coco-mini: 51 MS-COCO 2017 photos under CC BY 2.0 or CC BY-SA 2.0 (longest
side scaled to 256 px), 5 human captions each: `images/*.jpg`,
`captions.tsv` (`file_name<TAB>caption`) and `captions.json` (licence and
source URL of every photo). Captions: COCO Consortium, CC BY 4.0; each
photo: its Flickr licence, credited by the `flickr_url` in `captions.json`.
It is a demonstration and overfitting set, not a benchmark, and has no
public download: point `path=` (or `KERAS_SEQ_DATA_DIR`) at a copy.

For the full datasets, which keras_seq does not download (COCO 2017 is
19 GB, Flickr8k needs a licence agreement), `load_coco_captions` and
`load_flickr8k_captions` read the caption files you have.
"""

import collections
import csv
import io
import json
import os

import numpy as np

from keras_seq.datasets.data_utils import DATA_DIR_VARIABLE
from keras_seq.datasets.data_utils import DataFile
from keras_seq.datasets.data_utils import read_data_file
from keras_seq.utils.argument_validation import check_image_size

COCO_MINI_CAPTIONS = DataFile(
    "captioning/coco-mini/captions.tsv",
    None,
    "0108edf31e933c6870ff340ff855ec6e38ab4da6bcca198cee6b0269d60e1b3d",
)


def load_images(paths, image_size=None, name="paths"):
    """Reads image files as RGB uint8 arrays.

    Args:
        paths: the image files.
        image_size: optional `(height, width)`: every image is resized to it
            (bilinear), and the result is one array.
        name: the argument that held `paths`, for error messages.

    Returns:
        A uint8 array `(n, height, width, 3)` when `image_size` is given,
        else a list of `(height, width, 3)` arrays of each image's size.
    """
    from PIL import Image

    image_size = check_image_size(image_size, allow_none=True)
    images = []
    for path in paths:
        try:
            with Image.open(path) as image:
                image = image.convert("RGB")
                if image_size is not None:
                    image = image.resize(
                        image_size[::-1], Image.Resampling.BILINEAR
                    )
                images.append(np.asarray(image, "uint8"))
        except (OSError, SyntaxError) as error:
            raise ValueError(
                f"Received an invalid value for argument `{name}`: could "
                f"not read the image {path} ({error}); expected readable "
                "image files."
            ) from None
    if image_size is not None:
        return np.stack(images) if images else np.zeros((0, *image_size, 3))
    return images


def _group(pairs):
    """`[(file, caption), ...]` -> sorted files, captions per file.

    Runs of white space in a caption, line breaks included, become one
    space.
    """
    captions = collections.defaultdict(list)
    for file_name, caption in pairs:
        captions[file_name].append(" ".join(caption.split()))
    files = sorted(captions)
    return files, [captions[file] for file in files]


def _coco_mini_directory(path):
    if path is None:
        data_dir = os.environ.get(DATA_DIR_VARIABLE)
        if not data_dir:
            raise FileNotFoundError(
                "coco-mini has no public download: pass the location of your "
                "copy as `path=` (the coco-mini directory, or a data "
                "directory holding captioning/coco-mini), or set "
                f"{DATA_DIR_VARIABLE}."
            )
        path = data_dir
    path = os.fspath(path)
    for directory in (path, os.path.join(path, "captioning", "coco-mini")):
        if os.path.isfile(os.path.join(directory, "captions.tsv")):
            return directory
    raise FileNotFoundError(
        f"Received `path={path!r}`, but it holds no captions.tsv, neither "
        "directly nor under captioning/coco-mini/. Expected the coco-mini "
        "directory or a data directory holding it."
    )


def load_coco_mini(path=None, image_size=None):
    """Loads the coco-mini photos with their five captions each.

    Args:
        path: the coco-mini directory (holding `captions.tsv` and
            `images/`), or a data directory holding `captioning/coco-mini`.
            Defaults to `KERAS_SEQ_DATA_DIR`.
        image_size: optional `(height, width)` every photo is resized to.
            Defaults to `None`: each photo keeps its size (longest side
            256 px).

    Returns:
        `(images, captions)`, sorted by file name: the 51 photos (a uint8
        array `(51, height, width, 3)` with `image_size`, else a list of
        uint8 arrays) and a list of 51 lists of 5 caption strings.

    Example:

    ```python
    import keras_seq

    images, captions = keras_seq.datasets.captions.load_coco_mini(
        image_size=(224, 224)
    )
    images.shape, captions[0][0]  # (51, 224, 224, 3), a caption
    ```
    """
    directory = _coco_mini_directory(path)
    content = read_data_file(
        COCO_MINI_CAPTIONS, path=os.path.join(directory, "captions.tsv")
    )
    # Tab-separated, with CSV quoting for the one caption that holds a
    # line break.
    rows = csv.DictReader(io.StringIO(content.decode("utf-8")), delimiter="\t")
    files, captions = _group((row["file_name"], row["caption"]) for row in rows)
    paths = [os.path.join(directory, "images", file) for file in files]
    return load_images(paths, image_size), captions


def load_coco_captions(annotations_file, images_dir=None):
    """Reads a COCO caption annotation file (`captions_train2017.json`).

    Args:
        annotations_file: path of the JSON file, as in COCO's
            `annotations_trainval2017.zip`.
        images_dir: optional directory of the images (e.g. `train2017/`),
            prefixed to every file name.

    Returns:
        `(image_paths, captions)`: the image files, sorted, and a list of
        their captions (usually 5) each.
    """
    with open(annotations_file, encoding="utf-8") as file:
        annotations = json.load(file)
    if not (
        isinstance(annotations, dict)
        and {"images", "annotations"} <= set(annotations)
    ):
        raise ValueError(
            f"Received an invalid value for argument `annotations_file`: "
            f"{annotations_file} is not a COCO caption file (expected a JSON "
            "object with 'images' and 'annotations')."
        )
    names = {image["id"]: image["file_name"] for image in annotations["images"]}
    files, captions = _group(
        (names[note["image_id"]], note["caption"])
        for note in annotations["annotations"]
    )
    if images_dir is not None:
        files = [os.path.join(images_dir, file) for file in files]
    return files, captions


def load_flickr8k_captions(captions_file, images_dir=None):
    """Reads Flickr8k captions, in either published layout.

    `Flickr8k.token.txt` (`1000268201_693b08cb0e.jpg#0<TAB>caption`) and
    the `captions.txt` of later releases (CSV with an `image,caption`
    header) are both read.

    Args:
        captions_file: path of the caption file.
        images_dir: optional directory of the images (`Flicker8k_Dataset/`
            or `Images/`), prefixed to every file name.

    Returns:
        `(image_paths, captions)`: the image files, sorted, and a list of
        their 5 captions each.
    """
    with open(captions_file, encoding="utf-8") as file:
        text = file.read()
    if text.startswith("image,caption"):
        rows = csv.reader(io.StringIO(text))
        next(rows)
        pairs = [(row[0], row[1]) for row in rows if row]
    else:
        pairs = []
        for number, line in enumerate(text.splitlines()):
            if not line.strip():
                continue
            name, tab, caption = line.partition("\t")
            if not tab:
                raise ValueError(
                    f"Line {number + 1} of {captions_file} is neither "
                    "`name.jpg#N<TAB>caption` nor a CSV row with an "
                    f"`image,caption` header: {line!r}."
                )
            pairs.append((name.split("#")[0], caption))
    files, captions = _group(pairs)
    if images_dir is not None:
        files = [os.path.join(images_dir, file) for file in files]
    return files, captions
