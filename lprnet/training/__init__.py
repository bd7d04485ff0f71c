"""``lprnet train``: PRNet's training recipe for any registered posmap network."""
