//! One module per subcommand.

pub mod auto;
pub mod common;
pub mod economics;
pub mod fit;
pub mod predict;
pub mod sbg;
pub mod simulate;
pub mod summarize;
pub mod validate;
