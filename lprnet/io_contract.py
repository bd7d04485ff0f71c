"""The posmap network contract every model, export and runtime follows (import-light).

Input: (1, n, n, 3) RGB in [0, 1]. Output: (1, n, n, 3), the UV position map in crop pixels
divided by ``n * POSMAP_SCALE`` (PRNet's 1.1: the map's z and the crop's margin stay below 1).
"""

#: The network's output scale: targets are ``posmap / (size * POSMAP_SCALE)`` (PRNet: 1.1).
POSMAP_SCALE = 1.1


def output_width(n: int) -> float:
    """x of the crop's last pixel centre (``n - 1`` crop pixels) in a network's normalised
    output: the mirror axis of the posmap is at half of it."""
    return (n - 1) / (n * POSMAP_SCALE)
