//! A released migration never changes. Databases that already applied it keep its checksum in
//! `_sqlx_migrations`, and sqlx refuses to migrate such a database once the file's checksum
//! differs ("migration … was previously applied but has been modified") or the file is gone. So
//! `migrations/released.sha384` lists every released file with the checksum sqlx computes for it
//! (SHA-384 of the file's bytes), and these tests compare. A new file may be missing from the list
//! until it is released; `migrations/README.md` says when to add it.

use std::{collections::BTreeMap, path::PathBuf};

use sha2::{Digest, Sha384};

fn migrations_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../migrations")
}

/// The manifest: file name → hex checksum, in the `sha384sum` format (`<hex>  <file>`).
fn released() -> BTreeMap<String, String> {
    let path = migrations_dir().join("released.sha384");
    let text = std::fs::read_to_string(&path).expect("migrations/released.sha384");
    let mut files = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let (hex, file) = line
            .split_once("  ")
            .unwrap_or_else(|| panic!("released.sha384 line {}: not `<hex>  <file>`", n + 1));
        assert!(
            hex.len() == 96 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
            "released.sha384 line {}: {hex:?} is not a SHA-384 in hex",
            n + 1
        );
        assert!(
            files.insert(file.to_owned(), hex.to_owned()).is_none(),
            "released.sha384 lists {file} twice"
        );
    }
    assert!(!files.is_empty(), "released.sha384 lists no migration");
    files
}

/// The version sqlx reads from a file name (`<version>_<description>.sql`).
fn version(file: &str) -> i64 {
    file.split_once('_')
        .filter(|(_, rest)| rest.ends_with(".sql"))
        .and_then(|(v, _)| v.parse().ok())
        .unwrap_or_else(|| panic!("{file} is not named <version>_<description>.sql"))
}

#[test]
fn released_migrations_are_unchanged() {
    let mut problems = Vec::new();
    for (file, listed) in released() {
        match std::fs::read(migrations_dir().join(&file)) {
            Err(e) => problems.push(format!("{file}: released but unreadable or gone ({e})")),
            Ok(bytes) => {
                let now = hex::encode(Sha384::digest(&bytes));
                if now != listed {
                    problems.push(format!("{file}: changed after its release"));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{}\nA database that applied these migrations would refuse to migrate. Restore the \
         released files (git checkout main -- migrations/<file>) and fix forward with a new \
         migration; see migrations/README.md.",
        problems.join("\n")
    );
}

#[test]
fn manifest_holds_the_checksums_sqlx_records() {
    let embedded: BTreeMap<i64, String> = platform::db::MIGRATOR
        .iter()
        .map(|m| (m.version, hex::encode(&m.checksum)))
        .collect();
    for (file, listed) in released() {
        let version = version(&file);
        let recorded = embedded
            .get(&version)
            .unwrap_or_else(|| panic!("{file} is released but not embedded in the binary"));
        assert_eq!(
            recorded, &listed,
            "{file}: the binary's checksum is not the released one"
        );
    }
}
