//! Work in progress (module owned by the prediction-interval work).
