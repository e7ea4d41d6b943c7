//! Work in progress (module owned by the pareto_nbd work).
