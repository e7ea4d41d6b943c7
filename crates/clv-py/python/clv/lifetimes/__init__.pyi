from . import utils as utils
from .fitters import (
    BaseFitter as BaseFitter,
    BetaGeoBetaBinomFitter as BetaGeoBetaBinomFitter,
    BetaGeoFitter as BetaGeoFitter,
    GammaGammaFitter as GammaGammaFitter,
    ModifiedBetaGeoFitter as ModifiedBetaGeoFitter,
    ParetoNBDFitter as ParetoNBDFitter,
)
