//! One module per subcommand.

pub mod common;
pub mod fit;
pub mod predict;
pub mod simulate;
pub mod summarize;
