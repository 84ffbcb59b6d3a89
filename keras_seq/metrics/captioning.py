"""Caption metrics: BLEU-1 to 4 and CIDEr-D against several references.

Both follow the COCO caption evaluation: captions are lowercased and split
into words with punctuation dropped, and every image is scored against all
of its reference captions. BLEU is sacreBLEU's corpus BLEU on those words
(reported in `[0, 1]`, the captioning convention); CIDEr-D (Vedantam et al.,
2015) is computed here, as `pycocoevalcap` does, since none of keras_seq's
dependencies provides it.
"""

import collections
import math
import re

import numpy as np

from keras_seq.utils.argument_validation import check_texts

_WORD = re.compile(r"\w+")


def caption_words(text):
    """A caption as the list of its lowercased words, punctuation dropped."""
    return _WORD.findall(text.lower())


def caption_groups(captions, count, name="references"):
    """`captions` as `count` lists of caption strings, one per image.

    Each entry may be one str or a list of str; numpy arrays are accepted.
    A wrong count, an empty list or a non-string is a clear error.
    """
    if isinstance(captions, np.ndarray):
        captions = captions.tolist()
    if not isinstance(captions, (list, tuple)):
        raise TypeError(
            f"Received an invalid type for argument `{name}`: expected a "
            "list with one caption (str) or one list of captions per image, "
            f"got {type(captions).__name__}."
        )
    groups = [
        [group]
        if isinstance(group, str)
        else check_texts(name, group, allow_empty=True)
        for group in captions
    ]
    if len(groups) != count:
        raise ValueError(
            f"Received {count} images and {len(groups)} `{name}` (captions "
            "or caption lists): expected one per image."
        )
    if any(not group for group in groups):
        raise ValueError(
            f"Received an empty list of `{name}` for an image: expected at "
            "least one caption per image."
        )
    return groups


def _check_pairs(candidates, references):
    candidates = check_texts("candidates", candidates)
    return candidates, caption_groups(references, len(candidates))


def caption_bleu(candidates, references, max_order=4):
    """Corpus BLEU-1 to BLEU-`max_order` of captions, in `[0, 1]`.

    Args:
        candidates: list of str, one caption per image.
        references: list of lists of str, the reference captions of each
            image (their number may differ from image to image).
        max_order: int. The largest n-gram order. Defaults to `4`.

    Returns:
        A dict `{"bleu_1": ..., "bleu_4": ...}`.

    Example:

    ```python
    from keras_seq.metrics import caption_bleu

    caption_bleu(["a dog runs"], [["a dog runs", "the dog is running"]])
    # {'bleu_1': 1.0, 'bleu_2': 1.0, 'bleu_3': 1.0, 'bleu_4': 0.0}
    ```
    """
    from sacrebleu.metrics import BLEU

    candidates, references = _check_pairs(candidates, references)
    hypotheses = [" ".join(caption_words(text)) for text in candidates]
    width = max(len(group) for group in references)
    # sacreBLEU takes reference streams; `None` fills missing references.
    streams = [
        [
            " ".join(caption_words(group[i])) if i < len(group) else None
            for group in references
        ]
        for i in range(width)
    ]
    scores = {}
    for order in range(1, max_order + 1):
        # "exp" smoothing would credit an empty n-gram order; COCO's BLEU
        # does not smooth, and neither does this.
        bleu = BLEU(
            max_ngram_order=order, tokenize="none", smooth_method="none"
        )
        score = bleu.corpus_score(hypotheses, streams).score / 100.0
        # sacreBLEU's exp(log(...)) can land a rounding error above 100
        # (100.00000000000004 for exact captions); BLEU is at most 1.
        scores[f"bleu_{order}"] = min(score, 1.0)
    return scores


def _ngram_counts(words, max_order):
    counts = collections.Counter()
    for order in range(1, max_order + 1):
        for start in range(len(words) - order + 1):
            counts[tuple(words[start : start + order])] += 1
    return counts


def cider_d(candidates, references, max_order=4, sigma=6.0):
    """CIDEr-D of captions (Vedantam et al., 2015), as COCO computes it.

    Each n-gram (n = 1 to 4) is weighted by TF-IDF, the document frequency
    counting the images whose references contain it; a candidate's n-gram
    counts are clipped by each reference's, the cosine similarities are
    damped by a Gaussian penalty on the length difference (`sigma`),
    averaged over references and n-gram orders, and scaled by 10.

    Args:
        candidates: list of str, one caption per image.
        references: list of lists of str, the reference captions of each
            image.
        max_order: int. Defaults to `4`.
        sigma: float. The length penalty's standard deviation. Defaults to
            `6.0`.

    Returns:
        `(score, per_image)`: the corpus CIDEr-D (the mean of the
        per-image scores) and a float array of one score per image.
    """
    candidates, references = _check_pairs(candidates, references)
    candidate_counts = [
        _ngram_counts(caption_words(text), max_order) for text in candidates
    ]
    reference_counts = [
        [_ngram_counts(caption_words(text), max_order) for text in group]
        for group in references
    ]
    frequency = collections.Counter()
    for group in reference_counts:
        frequency.update(set().union(*group))
    log_images = math.log(len(candidates))

    def vectorize(counts):
        vectors = [{} for _ in range(max_order)]
        norms = np.zeros(max_order)
        for ngram, count in counts.items():
            order = len(ngram) - 1
            weight = count * (log_images - math.log(max(1.0, frequency[ngram])))
            vectors[order][ngram] = weight
            norms[order] += weight**2
        # COCO's implementation measures length in bigrams; kept for
        # comparable figures.
        length = sum(c for g, c in counts.items() if len(g) == 2)
        return vectors, np.sqrt(norms), length

    scores = np.zeros(len(candidates))
    for index, (counts, group) in enumerate(
        zip(candidate_counts, reference_counts)
    ):
        vectors, norms, length = vectorize(counts)
        total = np.zeros(max_order)
        for reference in group:
            ref_vectors, ref_norms, ref_length = vectorize(reference)
            penalty = math.exp(-((length - ref_length) ** 2) / (2 * sigma**2))
            for order in range(max_order):
                dot = sum(
                    min(weight, ref_vectors[order].get(ngram, 0.0))
                    * ref_vectors[order].get(ngram, 0.0)
                    for ngram, weight in vectors[order].items()
                )
                if norms[order] and ref_norms[order]:
                    dot /= norms[order] * ref_norms[order]
                total[order] += dot * penalty
        scores[index] = 10.0 * total.mean() / len(group)
    return float(scores.mean()), scores
