//! Simulation (placeholder).
