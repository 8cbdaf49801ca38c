//! [`AtomicFile`]: how the command writes a file. The bytes go to a temporary file beside the
//! destination (same folder, so the same file system), which is synced and renamed over the
//! destination only once everything is written: a run that fails or is stopped leaves an
//! existing file as it was, and no temporary behind ([`Temp`]). A reader that has the old file
//! open keeps reading the old contents.
//!
//! A destination that is not a regular file (`/dev/null`, `/dev/stdout`, a FIFO) cannot be
//! replaced: it is written straight away. A symbolic link stays a link: its target is replaced.
//!
//! [`refuse_same`] keeps an output from being its own input.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::cleanup::Temp;

/// A file being written; [`AtomicFile::commit`] puts it in place.
pub struct AtomicFile {
    file: File,
    /// The temporary file and where it goes; `None` when writing straight to a device or pipe.
    rename: Option<(Temp, PathBuf)>,
}

/// What the destination is now.
enum Existing {
    Nothing,
    File(fs::Permissions),
    Other,
}

fn existing(path: &Path) -> io::Result<Existing> {
    match fs::metadata(path) {
        Ok(m) if m.is_dir() => Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "it is a directory",
        )),
        Ok(m) if m.is_file() => Ok(Existing::File(m.permissions())),
        Ok(_) => Ok(Existing::Other),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Existing::Nothing),
        Err(e) => Err(e),
    }
}

/// Where the bytes must end up: `path`, or the file a symbolic link at `path` points to.
fn destination(path: &Path) -> PathBuf {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => fs::canonicalize(path).unwrap_or_else(|_| {
            // A dangling link: the file it names, relative to the link's folder.
            match fs::read_link(path) {
                Ok(target) => path.parent().unwrap_or(Path::new("")).join(target),
                Err(_) => path.to_path_buf(),
            }
        }),
        _ => path.to_path_buf(),
    }
}

impl AtomicFile {
    /// Starts writing `path`: creates the temporary file beside it now, so that a folder that
    /// does not exist or cannot be written is told before any work is done.
    pub fn create(path: &Path) -> io::Result<AtomicFile> {
        let dest = destination(path);
        let perms = match existing(&dest)? {
            Existing::Other => {
                let file = OpenOptions::new().write(true).open(&dest)?;
                return Ok(AtomicFile { file, rename: None });
            }
            Existing::File(perms) => Some(perms),
            Existing::Nothing => None,
        };
        let name = dest
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "it names no file"))?;
        let dir = match dest.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut n = 0;
        let (file, temp) = loop {
            let mut temp_name = std::ffi::OsString::from(".");
            temp_name.push(name);
            temp_name.push(format!(".{}.{n}.tmp", std::process::id()));
            let temp = dir.join(temp_name);
            match OpenOptions::new().write(true).create_new(true).open(&temp) {
                Ok(f) => break (f, Temp::new(temp)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && n < 100 => n += 1,
                Err(e) => return Err(e),
            }
        };
        if let Some(perms) = perms {
            // The new file has the old one's permissions (as an editor keeps them).
            file.set_permissions(perms)?;
        }
        Ok(AtomicFile {
            file,
            rename: Some((temp, dest)),
        })
    }

    /// Everything is written: sync the file and rename it over the destination. Dropping an
    /// `AtomicFile` without committing removes the temporary file and leaves the destination
    /// as it was.
    pub fn commit(mut self) -> io::Result<()> {
        self.file.flush()?;
        let Some((temp, dest)) = self.rename.take() else {
            return Ok(());
        };
        self.file.sync_all()?;
        fs::rename(temp.path(), &dest)?;
        temp.keep();
        if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
            // The rename itself is durable once the folder is synced; a folder that cannot be
            // opened for that (some file systems) does not make the output less complete.
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// True when `a` and `b` name the same file: the same device and inode, so through symbolic
/// and hard links alike. A path that does not exist is nobody's twin.
fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::metadata(a), fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Refuses, before anything is written, an `output` that is the file `input` names.
pub fn refuse_same(input: &Path, output: &Path, flag: &str) -> Result<(), String> {
    if same_file(input, output) {
        return Err(format!(
            "{flag} {} is the input {} itself (the same file); writing it would destroy what \
             is being read, so choose another output",
            output.display(),
            input.display()
        ));
    }
    Ok(())
}
