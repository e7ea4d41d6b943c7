//! Work in progress (module owned by the sbg work).
