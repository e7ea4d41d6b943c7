//! The `clv` command-line tool (being written).
fn main() {}
