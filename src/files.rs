//! Attachments onto the disk: saved into a folder the user chose under a safe name
//! (`mail::attachments::safe_file_name`), never outside it and never over an existing file
//! unless asked; opened by handing a copy to the viewer for its type (a mailcap entry, as
//! mutt does, else the system's opener). Nothing from a message is ever executed.

use crate::mail::attachments::Part;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

/// Why an attachment was not written.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("{0} already exists; nothing was written (choose another folder, or replace it)")]
    Exists(PathBuf),
    #[error("{0} is not a folder; give the folder to save into")]
    NotAFolder(PathBuf),
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Where `part` would be saved in `dir`: always a direct child of `dir`.
pub fn target(dir: &Path, part: &Part) -> PathBuf {
    let name = part.file_name();
    // safe_file_name gives one normal component; this keeps it so if that ever changed.
    let mut components = Path::new(&name).components();
    match (components.next(), components.next()) {
        (Some(Component::Normal(n)), None) => dir.join(n),
        _ => dir.join("attachment"),
    }
}

/// Saves `part` into `dir`. An existing file is replaced only with `replace` (then
/// atomically: a temporary file in the same folder renamed over it).
pub fn save(dir: &Path, part: &Part, replace: bool) -> Result<PathBuf, SaveError> {
    if !dir.is_dir() {
        return Err(SaveError::NotAFolder(dir.to_path_buf()));
    }
    let path = target(dir, part);
    let io = |source| SaveError::Io {
        path: path.clone(),
        source,
    };
    if replace {
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
        tmp.write_all(&part.bytes).map_err(io)?;
        tmp.persist(&path).map_err(|e| io(e.error))?;
        return Ok(path);
    }
    // create_new: an existing file (or one made meanwhile) is never overwritten.
    let mut f = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(SaveError::Exists(path))
        }
        Err(e) => return Err(io(e)),
    };
    f.write_all(&part.bytes).map_err(io)?;
    Ok(path)
}

/// The viewer command for `content_type` from the mailcap files (`$MAILCAPS`, else
/// `~/.mailcap`, `/etc/mailcap`): the first entry for the type or `type/*` that needs no
/// test command. `%s` is where the file goes.
pub fn mailcap_command(content_type: &str, files: &[PathBuf]) -> Option<String> {
    let (major, _) = content_type.split_once('/').unwrap_or((content_type, ""));
    for file in files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        // Continuation lines end with a backslash.
        let joined = text.replace("\\\n", " ");
        for line in joined.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut fields = line.split(';').map(str::trim);
            let ty = fields.next().unwrap_or("").to_ascii_lowercase();
            let Some(command) = fields.next().filter(|c| !c.is_empty()) else {
                continue;
            };
            let flags: Vec<&str> = fields.collect();
            // A test= entry needs a command run to decide; such entries are passed over.
            if flags.iter().any(|f| f.starts_with("test")) {
                continue;
            }
            if ty == content_type || ty == format!("{major}/*") || ty == major {
                return Some(command.to_string());
            }
        }
    }
    None
}

/// The mailcap files looked at, in order.
pub fn mailcap_files() -> Vec<PathBuf> {
    if let Some(list) = std::env::var_os("MAILCAPS") {
        return std::env::split_paths(&list).collect();
    }
    let mut files = Vec::new();
    if let Some(home) = dirs::home_dir() {
        files.push(home.join(".mailcap"));
    }
    files.push(PathBuf::from("/etc/mailcap"));
    files
}

/// Single-quotes a path for `sh -c`.
fn shell_quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', "'\\''"))
}

/// Opens `part` in the viewer for its type: a copy is written to a new private folder
/// (never run itself), then the mailcap command, else `xdg-open` (`open` on macOS), is
/// given its path. Returns what ran.
pub fn open(part: &Part) -> Result<String, String> {
    open_with(part, &mailcap_files())
}

/// [`open`] with these mailcap files (the UI's tests give their own).
pub fn open_with(part: &Part, mailcaps: &[PathBuf]) -> Result<String, String> {
    let dir = tempfile::Builder::new()
        .prefix("duebox-open-")
        .tempdir()
        .map_err(|e| format!("cannot make a folder for the copy: {e}"))?;
    let path = save(dir.path(), part, false).map_err(|e| e.to_string())?;
    // The viewer may return before it has read the file (xdg-open does): the copy stays.
    let _kept = dir.keep();
    let command = match mailcap_command(&part.attachment.content_type, mailcaps) {
        Some(c) if c.contains("%s") => c.replace("%s", &shell_quote(&path)),
        Some(c) => format!("{c} < {}", shell_quote(&path)),
        None if cfg!(target_os = "macos") => format!("open {}", shell_quote(&path)),
        None => format!("xdg-open {}", shell_quote(&path)),
    };
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(&command)
        .status()
        .map_err(|e| format!("cannot run the viewer ({command}): {e}"))?;
    if status.success() {
        Ok(command)
    } else {
        Err(format!(
            "the viewer failed ({status}): {command}; the copy is at {} (add a mailcap entry for {} to choose another viewer)",
            path.display(),
            part.attachment.content_type
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::Attachment;

    fn part(name: &str) -> Part {
        Part {
            attachment: Attachment {
                name: name.into(),
                content_type: "application/pdf".into(),
                size: 3,
            },
            bytes: b"abc".to_vec(),
        }
    }

    #[test]
    fn saving_stays_in_the_folder_and_never_overwrites_unless_asked() {
        let dir = tempfile::tempdir().unwrap();
        let p = save(dir.path(), &part("../../x.pdf"), false).unwrap();
        assert_eq!(p, dir.path().join("x.pdf"));
        let e = save(dir.path(), &part("x.pdf"), false).unwrap_err();
        assert!(matches!(e, SaveError::Exists(_)), "{e}");
        let mut newer = part("x.pdf");
        newer.bytes = b"new".to_vec();
        save(dir.path(), &newer, true).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
        assert!(matches!(
            save(&dir.path().join("nope"), &part("a.pdf"), false),
            Err(SaveError::NotAFolder(_))
        ));
    }

    #[test]
    fn a_mailcap_entry_is_found_by_type_and_test_entries_are_passed_over() {
        let dir = tempfile::tempdir().unwrap();
        let cap = dir.path().join("mailcap");
        std::fs::write(
            &cap,
            "# viewers\napplication/pdf; evince %s; test=test -n \"$DISPLAY\"\napplication/pdf; pdftotext %s -; copiousoutput\nimage/*; feh %s\n",
        )
        .unwrap();
        assert_eq!(
            mailcap_command("application/pdf", std::slice::from_ref(&cap)).as_deref(),
            Some("pdftotext %s -")
        );
        assert_eq!(
            mailcap_command("image/png", std::slice::from_ref(&cap)).as_deref(),
            Some("feh %s")
        );
        assert_eq!(mailcap_command("text/csv", &[cap]), None);
        assert_eq!(shell_quote(Path::new("/t/a'b.pdf")), "'/t/a'\\''b.pdf'");
    }
}
