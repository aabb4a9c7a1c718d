"""How many tweets each split should hold: :class:`SampleSizes`.

A leaf (the standard library only), so the params schema can check the sizes against the floor
without importing :mod:`twcs_classifier.sampling`: the stages that sample nothing then do not
depend on the sampling code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SampleSizes:
    """How many tweets each split should hold (half of each class)."""

    train: int
    val: int
    test: int
    unseen_brands: int = 0

    @classmethod
    def from_params(cls, n_train: int, n_test: int, val_fraction: float) -> SampleSizes:
        """Carve ``val_fraction`` of ``n_train`` off as the validation split."""
        if n_train < 2 or n_test < 2:
            raise ValueError("sample.n_train and sample.n_test must each be at least 2")
        if not 0.0 < val_fraction < 1.0:
            raise ValueError(f"sample.val_fraction must be between 0 and 1, got {val_fraction}")
        n_val = max(2, int(round(n_train * val_fraction)))
        return cls(train=n_train - n_val, val=n_val, test=n_test, unseen_brands=n_test)

    def as_dict(self) -> dict[str, int]:
        """Sizes by split name."""
        return {"train": self.train, "val": self.val, "test": self.test, "unseen_brands": self.unseen_brands}


__all__ = ["SampleSizes"]
