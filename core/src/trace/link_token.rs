//! [`LinkToken`]: the secret a viewer shows before a program's TCP live link serves it.
//!
//! A loopback port is open to every local user, so a program listening with
//! `EVSCOPE_TRACE=tcp:127.0.0.1:PORT` makes a random token and writes it to a file only its own
//! user can read: `link-tcp-PORT.token` in `$XDG_RUNTIME_DIR/evscope/`, or, without a private
//! `XDG_RUNTIME_DIR`, in `evscope-UID/` under the temporary directory (both directories mode
//! 0700, the file 0600). `evscope attach 127.0.0.1:PORT` reads it from there; a viewer's first
//! line is `{"auth":"TOKEN"}`, and without the right token the program sends nothing and obeys
//! nothing. The Unix socket link needs no token: the kernel tells each end who the other is.
//!
//! A TCP link serves a class: beside the owner's token it makes a second one, the follower
//! token (`link-tcp-PORT.follow.token`, or [`FOLLOW_TOKEN_ENV`]). Whoever shows it watches,
//! read-only; only a viewer that shows the owner's token may pause, step or set breakpoints.
//! The owner hands the follower token out; the owner's token is never needed to watch.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::ev::sys::cred::euid;

/// The environment variable that gives a token explicitly: to a program (instead of a random
/// one) and to `evscope attach` (instead of the token file).
pub const TOKEN_ENV: &str = "EVSCOPE_TRACE_TOKEN";

/// The environment variable that gives a TCP link's follower token explicitly: to a program
/// (instead of a random one); `evscope attach` takes either token from [`TOKEN_ENV`].
pub const FOLLOW_TOKEN_ENV: &str = "EVSCOPE_TRACE_FOLLOW_TOKEN";

/// Random bytes in a generated token (written as twice as many hex digits).
const RANDOM_BYTES: usize = 32;
/// The shortest token accepted.
const MIN_LEN: usize = 16;
/// The longest token accepted.
const MAX_LEN: usize = 128;

/// A live link's token. Its `Debug` form does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct LinkToken(String);

impl fmt::Debug for LinkToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LinkToken(…)")
    }
}

/// The line a viewer sends first on a TCP link.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthLine {
    auth: String,
    /// `"zstd"`: the viewer reads records in frames (`link_frame`); absent: in whole lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    frames: Option<String>,
}

impl LinkToken {
    /// A new random token, from the kernel's random source.
    pub fn random() -> io::Result<LinkToken> {
        let mut bytes = [0u8; RANDOM_BYTES];
        fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut bytes))
            .map_err(|e| io::Error::new(e.kind(), format!("cannot read /dev/urandom: {e}")))?;
        let mut text = String::with_capacity(RANDOM_BYTES * 2);
        for b in bytes {
            text.push(char::from(HEX[usize::from(b >> 4)]));
            text.push(char::from(HEX[usize::from(b & 15)]));
        }
        Ok(LinkToken(text))
    }

    /// A token given by the user: 16 to 128 characters of letters, digits, `-`, `_` and `.`.
    pub fn new(text: &str) -> Result<LinkToken, String> {
        let text = text.trim();
        let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        if !(MIN_LEN..=MAX_LEN).contains(&text.len()) || !text.chars().all(ok_char) {
            return Err(format!(
                "a link token is {MIN_LEN} to {MAX_LEN} letters, digits, '-', '_' or '.'"
            ));
        }
        Ok(LinkToken(text.to_string()))
    }

    /// The token in [`TOKEN_ENV`], if set and not empty.
    pub fn from_env() -> Result<Option<LinkToken>, String> {
        LinkToken::from_var(TOKEN_ENV)
    }

    /// The token in the environment variable `name`, if set and not empty.
    pub fn from_var(name: &str) -> Result<Option<LinkToken>, String> {
        match std::env::var(name) {
            Ok(v) if !v.is_empty() => LinkToken::new(&v)
                .map(Some)
                .map_err(|e| format!("{name}: {e}")),
            Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(format!("{name} is not valid UTF-8")),
        }
    }

    /// Reads a token file (the token on its first line).
    pub fn read_file(path: &Path) -> io::Result<LinkToken> {
        let mut text = String::new();
        fs::File::open(path)
            .and_then(|f| f.take(MAX_LEN as u64 + 2).read_to_string(&mut text))
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("cannot read the link token {}: {e}", path.display()),
                )
            })?;
        LinkToken::new(&text).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: {e}", path.display()),
            )
        })
    }

    /// The token a program listening on `port` published for this user (see the module doc).
    pub fn find(port: u16) -> io::Result<LinkToken> {
        LinkToken::find_in(port, token_paths(port), "link token")
    }

    /// The follower token a program listening on `port` published for this user: it lets a
    /// viewer watch, read-only.
    pub fn find_follow(port: u16) -> io::Result<LinkToken> {
        LinkToken::find_in(port, follow_token_paths(port), "follower token")
    }

    fn find_in(port: u16, paths: Vec<PathBuf>, what: &str) -> io::Result<LinkToken> {
        let mut problems = Vec::new();
        for path in &paths {
            let Some(dir) = path.parent().filter(|d| d.exists()) else {
                continue;
            };
            if let Err(e) = check_private_dir(dir) {
                problems.push(e.to_string());
            } else if path.exists() {
                return LinkToken::read_file(path);
            }
        }
        let looked: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        let mut why = format!(
            "no {what} for port {port} (looked for {})",
            looked.join(" and ")
        );
        for p in problems {
            why.push_str("; ");
            why.push_str(&p);
        }
        Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "{why}: is a program of yours listening there with EVSCOPE_TRACE=tcp:…? \
                 Otherwise give its token with --token-file FILE or {TOKEN_ENV}"
            ),
        ))
    }

    /// The token as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first line a viewer sends on a TCP link, with its newline; it asks for records in
    /// zstd frames (`LinkClient` reads them).
    pub fn auth_line(&self) -> Vec<u8> {
        let mut line = serde_json::to_vec(&AuthLine {
            auth: self.0.clone(),
            frames: Some(super::link_frame::ZSTD.into()),
        })
        .unwrap_or_default();
        line.push(b'\n');
        line
    }

    /// Does `line` (without its newline) carry this token? Compared in constant time. When it
    /// does: whether the viewer asked for records in zstd frames.
    pub(crate) fn admits(&self, line: &[u8]) -> Result<bool, &'static str> {
        let auth: AuthLine = serde_json::from_slice(line).map_err(|_| {
            "the first line must be {\"auth\":\"TOKEN\"} (or {\"auth\":\"TOKEN\",\"frames\":\"zstd\"})"
        })?;
        if same(auth.auth.as_bytes(), self.0.as_bytes()) {
            Ok(auth.frames.as_deref() == Some(super::link_frame::ZSTD))
        } else {
            Err("wrong token")
        }
    }

    /// Writes the token file for `port` (mode 0600, replaced atomically); it is removed when
    /// the returned guard is dropped.
    pub(crate) fn publish(&self, port: u16) -> io::Result<Published> {
        self.publish_to(token_paths(port))
    }

    /// [`LinkToken::publish`] as the follower token of `port`.
    pub(crate) fn publish_follow(&self, port: u16) -> io::Result<Published> {
        self.publish_to(follow_token_paths(port))
    }

    fn publish_to(&self, paths: Vec<PathBuf>) -> io::Result<Published> {
        let mut last = None;
        for path in paths {
            match write_private(&path, &self.0) {
                Ok(()) => {
                    return Ok(Published {
                        path,
                        token: self.clone(),
                    })
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("no directory for the link token")))
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Equal bytes, looking at every byte whatever the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Where the token of a link on `port` is kept, most preferred first. `$XDG_RUNTIME_DIR` counts
/// only when it is a directory of this user that nobody else may write to (anyone who may could
/// swap our directory inside it for one of theirs).
pub fn token_paths(port: u16) -> Vec<PathBuf> {
    paths_named(&format!("link-tcp-{port}.token"))
}

/// Where the follower token of a link on `port` is kept, most preferred first (beside the
/// owner's, see [`token_paths`]).
pub fn follow_token_paths(port: u16) -> Vec<PathBuf> {
    paths_named(&format!("link-tcp-{port}.follow.token"))
}

fn paths_named(name: &str) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(run) = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from) {
        let ours = fs::metadata(&run)
            .is_ok_and(|m| m.is_dir() && m.uid() == euid() && m.mode() & 0o022 == 0);
        if run.is_absolute() && ours {
            dirs.push(run.join("evscope"));
        }
    }
    dirs.push(std::env::temp_dir().join(format!("evscope-{}", euid())));
    dirs.into_iter().map(|d| d.join(name)).collect()
}

/// A directory is private when it is a real directory of this user that nobody else may
/// enter. One of ours that is too open is closed; one of another user is refused.
fn check_private_dir(dir: &Path) -> io::Result<()> {
    let meta = fs::symlink_metadata(dir)?;
    let refuse = |why: String| {
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "refusing to keep or read a link token in {}: {why}",
                dir.display()
            ),
        ))
    };
    if !meta.file_type().is_dir() {
        return refuse("it is not a directory".into());
    }
    if meta.uid() != euid() {
        return refuse(format!("it belongs to uid {}", meta.uid()));
    }
    if meta.mode() & 0o077 != 0 {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    // Whoever may rename entries of the directory above could swap this one for theirs.
    if let Some(above) = dir.parent().and_then(|p| fs::metadata(p).ok()) {
        let sticky = above.mode() & 0o1000 != 0;
        let owner_ok = above.uid() == euid() || above.uid() == 0;
        if !owner_ok || (above.mode() & 0o022 != 0 && !sticky) {
            return refuse("others may rename entries of the directory it is in".into());
        }
    }
    Ok(())
}

/// Writes `token` to `path` with mode 0600 in a private directory (made if missing): first to a
/// temporary name, then renamed over `path`.
fn write_private(path: &Path, token: &str) -> io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::other("a token path has a directory"))?;
    match fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => {
            return Err(io::Error::new(
                e.kind(),
                format!("cannot make {}: {e}", dir.display()),
            ))
        }
    }
    check_private_dir(dir)?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name()
            .map_or_else(|| "token".into(), |n| n.to_string_lossy().into_owned()),
        std::process::id()
    ));
    let _ = fs::remove_file(&tmp);
    let written = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .and_then(|mut f| f.write_all(format!("{token}\n").as_bytes()))
        .and_then(|()| fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(io::Error::new(
            e.kind(),
            format!("cannot write the link token {}: {e}", path.display()),
        ));
    }
    Ok(())
}

/// A published token file, removed on drop (unless another program has replaced it since).
pub(crate) struct Published {
    path: PathBuf,
    token: LinkToken,
}

impl Published {
    /// Where the token is.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Published {
    fn drop(&mut self) {
        if LinkToken::read_file(&self.path).is_ok_and(|t| t == self.token) {
            let _ = fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_tokens_are_long_hex_and_differ() {
        let a = LinkToken::random().unwrap();
        let b = LinkToken::random().unwrap();
        assert_eq!(a.as_str().len(), 2 * RANDOM_BYTES);
        assert!(a.as_str().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert_eq!(format!("{a:?}"), "LinkToken(…)");
    }

    #[test]
    fn user_tokens_are_checked() {
        assert!(LinkToken::new("short").is_err());
        assert!(LinkToken::new(&"x".repeat(MAX_LEN + 1)).is_err());
        assert!(LinkToken::new("has a space in it, long enough").is_err());
        assert!(LinkToken::new("\"quoted-and-long-enough\"").is_err());
        assert_eq!(
            LinkToken::new(" abcdefghijklmnop\n").unwrap().as_str(),
            "abcdefghijklmnop"
        );
    }

    #[test]
    fn the_auth_line_admits_its_token_only() {
        let t = LinkToken::new("0123456789abcdef-x").unwrap();
        let line = t.auth_line();
        assert_eq!(line.last(), Some(&b'\n'));
        // Ours asks for frames; a line without `frames` (or naming another encoding) gets
        // whole lines.
        assert_eq!(t.admits(&line[..line.len() - 1]), Ok(true));
        assert_eq!(t.admits(br#"{"auth":"0123456789abcdef-x"}"#), Ok(false));
        assert_eq!(
            t.admits(br#"{"auth":"0123456789abcdef-x","frames":"gzip"}"#),
            Ok(false)
        );
        let other = LinkToken::new("0123456789abcdef-y").unwrap();
        assert_eq!(other.admits(&line[..line.len() - 1]), Err("wrong token"));
        for bad in [
            &b""[..],
            b"{}",
            b"{\"cmd\":\"pause\"}",
            b"{\"auth\":1}",
            b"{\"auth\":\"0123456789abcdef-x\",\"more\":1}",
            b"\xff\xfe",
        ] {
            assert!(t.admits(bad).is_err(), "{bad:?}");
        }
    }
}
