//! The user's editor ($VISUAL, then $EDITOR, then vi) run on a file: `templates edit`, and
//! the UI's `E` and `t` (which hand the terminal over around it).

use std::path::Path;

/// The editor command the user asked for.
pub fn configured() -> String {
    ["VISUAL", "EDITOR"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|e| !e.trim().is_empty()))
        .unwrap_or_else(|| "vi".into())
}

/// Runs `editor` on `path` and waits. Through the shell, so an editor given with arguments
/// ("code --wait", "emacs -nw") works.
pub fn edit(editor: &str, path: &Path) -> Result<(), String> {
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(path)
        .status()
        .map_err(|e| format!("cannot start the editor '{editor}': {e}; set $VISUAL or $EDITOR"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the editor '{editor}' failed ({status})"))
    }
}

/// How editing a template ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateEdit {
    /// Saved and checked: replies use it from now on.
    Saved(std::path::PathBuf),
    /// It did not check and the user chose not to edit again: the last good version is
    /// back in place and the rejected text kept beside it.
    Restored {
        path: std::path::PathBuf,
        rejected: std::path::PathBuf,
        error: String,
    },
}

/// Edits the user's copy of a template until it checks or the user gives up — the one flow
/// behind `duebox templates edit` and the UI's `t`. `run` runs the editor on the file;
/// `again` is told what is wrong and says whether to edit again. A template that does not
/// check would break every reply that uses it, so giving up restores the last good version.
/// `path` is the user's copy (`Templates::ensure_user_copy`).
pub fn edit_template(
    path: &Path,
    name: &str,
    run: &mut dyn FnMut(&Path) -> Result<(), String>,
    again: &mut dyn FnMut(&crate::reply::TemplateError) -> bool,
) -> Result<TemplateEdit, String> {
    let path = path.to_path_buf();
    let read = |p: &Path| {
        std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
    };
    // None: there was no copy yet (a give-up then removes the new one).
    let before = match std::fs::read_to_string(&path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let base = crate::reply::templates::split_lang(name).0;
    loop {
        run(&path).map_err(|e| format!("{e}; your file is kept at {}", path.display()))?;
        let text = read(&path)?;
        let error = match crate::reply::Template::parse(base, &path.display().to_string(), &text) {
            Ok(_) => return Ok(TemplateEdit::Saved(path)),
            Err(e) => e,
        };
        if again(&error) {
            continue;
        }
        let rejected = path.with_extension("txt.rejected");
        let write = |p: &Path, t: &str| {
            std::fs::write(p, t).map_err(|e| format!("cannot write {}: {e}", p.display()))
        };
        write(&rejected, &text)?;
        match &before {
            Some(before) => write(&path, before)?,
            None => std::fs::remove_file(&path)
                .map_err(|e| format!("cannot remove {}: {e}", path.display()))?,
        }
        return Ok(TemplateEdit::Restored {
            path,
            rejected,
            error: error.to_string(),
        });
    }
}

/// Asks "Edit again? [Y/n]" on the terminal (stderr, stdin) after naming what is wrong; an
/// end of input is a no.
pub fn ask_again(error: &crate::reply::TemplateError) -> bool {
    use std::io::{BufRead, Write};
    eprintln!("duebox: {error}");
    eprint!("Edit again? [Y/n] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    let read = std::io::stdin().lock().read_line(&mut answer).unwrap_or(0);
    if read == 0 {
        eprintln!();
    }
    read > 0 && !answer.trim().to_lowercase().starts_with('n')
}
