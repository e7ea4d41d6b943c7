"""A drop-in replacement for ``lifetimes`` 0.11.3, on clv's Rust core.

Change one import line::

    from lifetimes import BetaGeoFitter, GammaGammaFitter      # before
    from clv.lifetimes import BetaGeoFitter, GammaGammaFitter  # after

and ``from lifetimes.utils import ...`` to ``from clv.lifetimes.utils import ...``.
The fitters have ``lifetimes``' constructors, ``fit`` signatures, attributes
and methods, and agree with it to 1e-6 (tested against ``lifetimes`` on
CDNOW), except where ``lifetimes`` is wrong: see :mod:`clv.lifetimes.fitters`
(the 30-day month of ``customer_lifetime_value``, NaN at large frequency).
"""

from . import utils
from .fitters import (
    BaseFitter,
    BetaGeoBetaBinomFitter,
    BetaGeoFitter,
    GammaGammaFitter,
    ModifiedBetaGeoFitter,
    ParetoNBDFitter,
)

__all__ = [
    "BaseFitter",
    "BetaGeoFitter",
    "ParetoNBDFitter",
    "ModifiedBetaGeoFitter",
    "BetaGeoBetaBinomFitter",
    "GammaGammaFitter",
    "utils",
]
