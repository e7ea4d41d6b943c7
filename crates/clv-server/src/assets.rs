//! The dashboard's files, embedded in the binary at build time (see
//! `build.rs`): no front-end build step, nothing to install.

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// The bytes and content type of `path` (relative to `assets/`).
pub fn get(path: &str) -> Option<(&'static [u8], &'static str)> {
    let bytes = FILES.iter().find(|(p, _)| *p == path)?.1;
    let ext = path.rsplit('.').next().unwrap_or("");
    let ty = match ext {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "json" => "application/json",
        "txt" | "md" | "LICENSE" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };
    Some((bytes, ty))
}
