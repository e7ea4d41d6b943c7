//! Helpers shared by the fuzz targets.

use std::path::PathBuf;

/// Writes `bytes` to this process's scratch file with extension `ext` (on
/// tmpfs when there is one) and returns its path. The file is reused from
/// one input to the next: the readers under test only take paths.
pub fn scratch_file(name: &str, ext: &str, bytes: &[u8]) -> PathBuf {
    let dir = if std::path::Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let path = dir.join(format!("clv-fuzz-{}-{name}.{ext}", std::process::id()));
    std::fs::write(&path, bytes).expect("writing the scratch file");
    path
}

/// Number of physical lines in `buf` (1 + newlines): the largest line
/// number an error may name.
pub fn line_count(buf: &[u8]) -> u64 {
    1 + buf.iter().filter(|&&b| b == b'\n').count() as u64
}
