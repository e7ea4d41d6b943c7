//! # clv-data (placeholder, being written)
#![deny(missing_docs)]
