//! Gamma-Gamma spend model (Fader, Hardie & Lee 2005; Colombo & Jiang 1999). Being written: parameters only so far.

use crate::bgnbd::check_positive;
use crate::error::Result;

/// Parameters of the Gamma-Gamma spend model, named as in Fader & Hardie's note.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GammaGammaParams {
    /// Shape of the gamma distribution of one transaction's value given the customer's `nu`.
    pub p: f64,
    /// Shape of the gamma distribution of `nu` across customers.
    pub q: f64,
    /// Rate of the gamma distribution of `nu` across customers.
    pub v: f64,
}

impl GammaGammaParams {
    /// Validated constructor: every parameter must be positive and finite.
    pub fn new(p: f64, q: f64, v: f64) -> Result<Self> {
        check_positive("p", p)?;
        check_positive("q", q)?;
        check_positive("v", v)?;
        Ok(GammaGammaParams { p, q, v })
    }
}
