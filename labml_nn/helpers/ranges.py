r"""
---
title: Config types that carry their range
summary: PositiveInt, Probability and friends - a type that is an int or a float to Python and also says which values a config may take.
---

# Types that carry their range

*Part of the [machinery behind the lessons](index.html).*

`Annotated[int, Range(...)]` is an `int` to Python and to a reader; the `Range` tells
[the command line](cli.html) which values to refuse and how to say so. A config declared as

```python
# Characters per training sequence
seq_len: PositiveInt = 64
```

is refused as `seq_len=0: must be a positive integer` before anything runs.

The module needs nothing but the standard library. That matters because the
[model's configs](../transformers/mlm/model.html) use these types, and the model's source is
copied, as it is, into every [export folder](../transformers/mlm_tools/export.html), where it must
run without the rest of this package.
"""

import math
from dataclasses import dataclass
from typing import Annotated, Any


@dataclass(frozen=True)
class Range:
    r"""
    The allowed values `low` … `high`; `low_open` or `high_open` leave out the end itself.
    """
    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False
    # How the error message describes the allowed values: "must be <words>"
    words: str = ''

    def check(self, key: str, value: Any) -> None:
        r"""A `ValueError` that names the config when `value` is out of range (the command line words it for the user)."""
        too_low = value <= self.low if self.low_open else value < self.low
        too_high = value >= self.high if self.high_open else value > self.high
        if too_low or too_high or value != value:  # `value != value` catches NaN
            raise ValueError(f"{key}={value}: must be {self.words}")


@dataclass(frozen=True)
class OneOf(Range):
    r"""A text config that takes one of `choices`: `Annotated[str, OneOf(choices=('cosine', 'linear'))]`."""
    choices: tuple = ()

    def check(self, key: str, value: Any) -> None:
        if value not in self.choices:
            raise ValueError(f"{key}={value}: must be {' or '.join(self.choices)}")


PositiveInt = Annotated[int, Range(1, words='a positive integer')]
Count = Annotated[int, Range(0, words='0 or more')]
PositiveFloat = Annotated[float, Range(0, low_open=True, words='positive')]
Fraction = Annotated[float, Range(0, 1, words='between 0 and 1')]
OpenFraction = Annotated[float, Range(0, 1, low_open=True, high_open=True, words='between 0 and 1')]
Probability = Annotated[float, Range(0, 1, high_open=True, words='in [0, 1)')]
