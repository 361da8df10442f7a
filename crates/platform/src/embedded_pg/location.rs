//! Where the cluster's files live. As root the server runs as `postgres`, which must be able to
//! reach the cluster directory. A checkout in a private home (`/root`, mode 0700) is out of its
//! reach, so the cluster then goes to a directory of its own under [`RELOCATED_ROOT`], named
//! after the configured path, and the configured path becomes a symbolic link to it: the next
//! start, `sous doctor` and `psql -h <data dir>/pg` find it through the link.

use std::{
    os::unix::fs::{MetadataExt, PermissionsExt},
    path::{Path, PathBuf},
};

use anyhow::{Context, bail};
use nix::unistd::User;
use sha2::{Digest, Sha256};

/// Where clusters go that the `postgres` user could not reach where they were configured.
pub const RELOCATED_ROOT: &str = "/var/lib/sous";

/// The directory `user` (the server's user, `None` when not root) cannot search on the way to
/// `path`, if any.
pub fn unreachable_ancestor(path: &Path, user: Option<&User>) -> Option<(PathBuf, u32)> {
    let user = user?;
    let mut dir = path.parent();
    while let Some(d) = dir {
        let meta = std::fs::metadata(d).ok()?;
        let mode = meta.permissions().mode();
        let searchable = mode & 0o001 != 0
            || (meta.uid() == user.uid.as_raw() && mode & 0o100 != 0)
            || (meta.gid() == user.gid.as_raw() && mode & 0o010 != 0);
        if !searchable {
            return Some((d.to_path_buf(), mode & 0o777));
        }
        dir = d.parent();
    }
    None
}

/// The relocated directory for the cluster configured at `configured` (an absolute path):
/// stable for a path, different for another.
pub fn relocated_dir(configured: &Path) -> PathBuf {
    let digest = Sha256::digest(configured.as_os_str().as_encoded_bytes());
    Path::new(RELOCATED_ROOT).join(hex::encode(&digest[..8]))
}

/// The directory the server uses for the cluster configured at `configured`: `configured`
/// itself when the server's user can reach it (or it is a link made by an earlier start, which
/// is followed), else the relocated directory, linked from `configured`.
pub fn cluster_dir(configured: &Path, user: Option<&User>) -> anyhow::Result<PathBuf> {
    if configured.is_symlink() {
        let target = std::fs::read_link(configured)?;
        let parent = configured.parent().unwrap_or(Path::new("/"));
        return Ok(parent.join(target));
    }
    let Some((blocked, mode)) = unreachable_ancestor(configured, user) else {
        return Ok(configured.to_path_buf());
    };
    if configured.join("PG_VERSION").is_file() {
        bail!(
            "the `postgres` user cannot reach the cluster in {} ({} has mode {mode:o}); \
             `chmod o+x` that directory, or move the cluster and set SOUS_DATA_DIR",
            configured.display(),
            blocked.display()
        );
    }
    let target = relocated_dir(configured);
    std::fs::create_dir_all(RELOCATED_ROOT)
        .with_context(|| format!("creating {RELOCATED_ROOT}"))?;
    std::fs::set_permissions(RELOCATED_ROOT, std::fs::Permissions::from_mode(0o755))?;
    if let Some((dir, mode)) = unreachable_ancestor(&target, user) {
        bail!(
            "the `postgres` user can reach neither {} ({} has mode {:o}) nor {} ({} has mode \
             {mode:o}); set SOUS_DATA_DIR to a directory it can reach",
            configured.display(),
            blocked.display(),
            mode,
            target.display(),
            dir.display(),
        );
    }
    // An empty directory left by an earlier attempt makes way for the link.
    if configured.is_dir() {
        std::fs::remove_dir(configured).with_context(|| {
            format!(
                "{} is in the way of the link to {}",
                configured.display(),
                target.display()
            )
        })?;
    }
    std::os::unix::fs::symlink(&target, configured)
        .with_context(|| format!("linking {} to {}", configured.display(), target.display()))?;
    tracing::warn!(
        configured = %configured.display(), cluster = %target.display(),
        blocked = %blocked.display(),
        "the `postgres` user cannot reach the data directory; the cluster lives elsewhere, linked from it"
    );
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relocated_cluster_is_named_after_its_configured_path() {
        let a = relocated_dir(Path::new("/root/sous/.data/pg"));
        assert_eq!(a, relocated_dir(Path::new("/root/sous/.data/pg")));
        assert_ne!(a, relocated_dir(Path::new("/root/other/.data/pg")));
        assert!(a.starts_with(RELOCATED_ROOT));
        assert_eq!(a.file_name().unwrap().len(), 16);
    }

    #[test]
    fn not_root_means_always_reachable() {
        assert_eq!(unreachable_ancestor(Path::new("/root/x/pg"), None), None);
        assert_eq!(
            cluster_dir(Path::new("/root/x/pg"), None).unwrap(),
            Path::new("/root/x/pg")
        );
    }
}
