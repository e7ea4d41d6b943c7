//! placeholder: owned by the core-models work
