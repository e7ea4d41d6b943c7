//! Lifetime value (placeholder).
