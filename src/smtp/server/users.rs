//! The AUTH users file: one `name:argon2-PHC-hash` per line, `#` comments. Passwords are never
//! stored, only argon2id hashes; `stackmail user add` writes entries.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::Path;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

#[derive(Debug, Default, Clone)]
pub struct Users {
    hashes: HashMap<String, String>,
}

/// Verified against when the user is unknown, so that a wrong name costs the same time as
/// a wrong password and timing does not reveal which names exist.
const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c3RhY2ttYWlsZHVtbXk$4Pp3ZQ7vQb3Qa7lYtJ0mJcO3d8Q1b3Zl6Wb7l0sJq9E";

impl Users {
    pub fn load(path: &Path) -> io::Result<Users> {
        let text = fs::read_to_string(path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        let mut hashes = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (name, hash) = line.split_once(':').ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}:{}: expected name:hash", path.display(), n + 1),
                )
            })?;
            PasswordHash::new(hash).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}:{}: bad hash: {e}", path.display(), n + 1),
                )
            })?;
            hashes.insert(name.to_string(), hash.to_string());
        }
        Ok(Users { hashes })
    }

    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Checks a password; slow on purpose (argon2), so call it on the blocking pool.
    pub fn verify(&self, name: &str, password: &str) -> bool {
        let (hash, known) = match self.hashes.get(name) {
            Some(h) => (h.as_str(), true),
            None => (DUMMY, false),
        };
        let ok = PasswordHash::new(hash).is_ok_and(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        });
        ok && known
    }
}

/// Adds or replaces `name` in the users file (created if missing), with a fresh salt.
pub fn add_user(path: &Path, name: &str, password: &str) -> io::Result<()> {
    // What the loader would read differently: a comment line, trimmed blanks.
    if name.is_empty()
        || name.contains(':')
        || name.starts_with('#')
        || name.trim() != name
        || name.chars().any(char::is_control)
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "user names may not be empty, contain ':' or control characters, start with '#' or with or end in blanks",
        ));
    }
    let salt =
        SaltString::encode_b64(&random_salt()?).map_err(|e| io::Error::other(e.to_string()))?;
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| io::Error::other(e.to_string()))?
        .to_string();
    let existing = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e),
    };
    let prefix = format!("{name}:");
    let mut out: String = existing
        .lines()
        .filter(|l| !l.starts_with(&prefix))
        .map(|l| format!("{l}\n"))
        .collect();
    out.push_str(&format!("{name}:{hash}\n"));
    // Write beside and rename, so a crash never leaves a half-written users file. The hashes
    // are secrets: a new file is readable by its owner only, and a rewrite keeps the mode
    // the file had.
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mode = fs::metadata(path).map_or(0o600, |m| m.permissions().mode() & 0o7777);
    let tmp = path.with_extension("tmp");
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&tmp)?;
    // A leftover tmp file keeps its own mode through `open`: set it.
    f.set_permissions(fs::Permissions::from_mode(mode))?;
    f.write_all(out.as_bytes())?;
    f.sync_all()?;
    fs::rename(&tmp, path)
}

/// 16 bytes from the kernel's CSPRNG.
fn random_salt() -> io::Result<[u8; 16]> {
    use std::io::Read;
    let mut salt = [0u8; 16];
    fs::File::open("/dev/urandom")?.read_exact(&mut salt)?;
    Ok(salt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_users_file_is_private_and_names_the_loader_would_misread_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users");
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        add_user(&path, "alice", "pw").unwrap();
        assert_eq!(mode(&path), 0o600);
        // An operator's choice of mode survives a rewrite.
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        add_user(&path, "bob", "pw").unwrap();
        assert_eq!(mode(&path), 0o640);
        for bad in ["#alice", " alice", "alice ", "", "a:b", "a\nb"] {
            assert!(add_user(&path, bad, "pw").is_err(), "{bad:?}");
        }
        let users = Users::load(&path).unwrap();
        assert!(users.verify("alice", "pw") && users.verify("bob", "pw"));
    }

    #[test]
    fn add_load_verify() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users");
        add_user(&path, "bob", "secret").unwrap();
        add_user(&path, "alice", "pw").unwrap();
        add_user(&path, "bob", "new secret").unwrap();
        assert!(
            PasswordHash::new(DUMMY).is_ok(),
            "the dummy hash must parse, or unknown names answer faster"
        );
        let users = Users::load(&path).unwrap();
        assert_eq!(users.len(), 2);
        assert!(users.verify("bob", "new secret"));
        assert!(!users.verify("bob", "secret"));
        assert!(users.verify("alice", "pw"));
        assert!(!users.verify("nobody", "pw"));
        assert!(add_user(&path, "a:b", "x").is_err());
        std::fs::write(&path, "bob:not-a-hash\n").unwrap();
        assert!(Users::load(&path).is_err());
    }
}
