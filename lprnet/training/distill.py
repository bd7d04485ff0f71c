"""Training toward a teacher network: the blended target, and the flip-test teacher.

A teacher's prediction can stand in for part of the label (:func:`blend_teacher`): the
compression fine-tunes pull the pruned / quantised student toward the float model it is
measured against, and a float model can learn from its own flip test (:func:`flip_averaged`:
the crop and its mirror image averaged, more accurate than one run of the same weights).
"""

from __future__ import annotations

from lprnet.data.augment import mirror_posmap
from lprnet.errors import LprnetError
from lprnet.io_contract import output_width
from lprnet.tfenv import tf

# isort: off
import tf_keras as keras

# isort: on


def blend_teacher(dataset: tf.data.Dataset, teacher: keras.Model, weight: float) -> tf.data.Dataset:
    """``(x, (1 - weight) * y + weight * teacher(x))``: labels pulled toward the teacher.

    For a squared-error loss, training on the blend is training on ``(1 - weight)`` times the
    error to the labels plus ``weight`` times the error to the teacher (the two differ by a
    constant). ``weight`` 0 returns ``dataset`` unchanged.
    """
    if not 0.0 <= weight <= 1.0:
        raise LprnetError(f"teacher weight must be in [0, 1], got {weight}")
    if weight == 0.0:
        return dataset
    w = tf.constant(weight, tf.float32)

    @tf.autograph.experimental.do_not_convert
    def blend(x, y):
        return x, (1.0 - w) * y + w * teacher(x, training=False)

    return dataset.map(blend).prefetch(tf.data.AUTOTUNE)


def flip_averaged(model: keras.Model) -> keras.Model:
    """``model``'s flip test as one Keras model (its weights shared, not copied).

    ``0.5 * (model(x) + mirror(model(mirror(x))))`` with the training augmentation's posmap
    mirror (:func:`lprnet.data.augment.mirror_posmap`) on the normalised output (UV columns
    reversed, ``x -> output_width(n) - x``); the same numbers as
    :class:`lprnet.inference.flip_test.FlipTest` around the model.
    """
    width = output_width(int(model.input_shape[1]))
    image = keras.Input(model.input_shape[1:], name="image")
    direct = model(image, training=False)
    mirrored = model(keras.layers.Lambda(lambda x: tf.reverse(x, [2]), name="mirror")(image))

    def average(pair):
        a, b = pair
        return 0.5 * (a + mirror_posmap(b, width))

    out = keras.layers.Lambda(average, name="flip_average")([direct, mirrored])
    return keras.Model(image, out, name=f"{model.name}_flip")
