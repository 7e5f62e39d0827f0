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
