//! BG/NBD model (Fader, Hardie & Lee 2005). Being written: parameters only so far.

use crate::error::{Error, Result};

pub(crate) fn check_positive(name: &'static str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name,
            value,
            reason: "must be positive and finite",
        })
    }
}

/// Parameters of the BG/NBD model, named as in the paper.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BgNbdParams {
    /// Shape of the gamma distribution of purchase rates `lambda`.
    pub r: f64,
    /// Rate (inverse scale) of the gamma distribution of purchase rates, in the model's time unit.
    pub alpha: f64,
    /// First shape parameter of the beta distribution of dropout probabilities `p`.
    pub a: f64,
    /// Second shape parameter of the beta distribution of dropout probabilities `p`.
    pub b: f64,
}

impl BgNbdParams {
    /// Validated constructor: every parameter must be positive and finite.
    pub fn new(r: f64, alpha: f64, a: f64, b: f64) -> Result<Self> {
        check_positive("r", r)?;
        check_positive("alpha", alpha)?;
        check_positive("a", a)?;
        check_positive("b", b)?;
        Ok(BgNbdParams { r, alpha, a, b })
    }
}
