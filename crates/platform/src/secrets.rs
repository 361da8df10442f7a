//! Secrets that the default set-up generates once and keeps in the data dir (mode 0600), so a
//! newcomer needs no configuration and restarts keep tokens and PINs valid.

use std::{io::Write, os::unix::fs::OpenOptionsExt, path::Path};

use base64::Engine;
use rand::RngCore;

pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// Reads `data_dir/name`, creating it with `make()` on first use.
pub fn load_or_create(
    data_dir: &Path,
    name: &str,
    make: impl FnOnce() -> String,
) -> anyhow::Result<String> {
    let path = data_dir.join(name);
    if let Ok(s) = std::fs::read_to_string(&path) {
        return Ok(s.trim().to_string());
    }
    std::fs::create_dir_all(data_dir)?;
    let value = make();
    match std::fs::OpenOptions::new()
        .create_new(true)
        .write(true)
        .mode(0o600)
        .open(&path)
    {
        Ok(mut f) => {
            f.write_all(value.as_bytes())?;
            Ok(value)
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Ok(std::fs::read_to_string(&path)?.trim().to_string())
        }
        Err(e) => Err(e.into()),
    }
}
