//! Work in progress (module owned by the bgbb work).
