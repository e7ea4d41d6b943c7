//! Work in progress (module owned by the mbg_nbd work).
