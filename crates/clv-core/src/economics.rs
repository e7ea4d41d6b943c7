//! Work in progress (module owned by the economics work).
