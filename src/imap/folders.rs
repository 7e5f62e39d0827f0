//! How duebox's folder names ("Chasers/Overdue", "Sent") become the server's own: the personal
//! namespace's prefix and separator (RFC 2342), modified UTF-7, and the special-use folders
//! (RFC 6154) the server marks. Pure: parses response text and maps names, no I/O here.

use super::wire::Wire;
use std::collections::HashMap;

/// What a folder is for, as the server marks it (RFC 6154 attributes, or XLIST's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SpecialUse {
    Sent,
    Archive,
    Junk,
    Drafts,
    Trash,
}

impl SpecialUse {
    pub const ALL: [SpecialUse; 5] = [
        SpecialUse::Sent,
        SpecialUse::Archive,
        SpecialUse::Junk,
        SpecialUse::Drafts,
        SpecialUse::Trash,
    ];

    /// The attribute, as `\Sent`.
    pub fn attribute(self) -> &'static str {
        match self {
            SpecialUse::Sent => "\\Sent",
            SpecialUse::Archive => "\\Archive",
            SpecialUse::Junk => "\\Junk",
            SpecialUse::Drafts => "\\Drafts",
            SpecialUse::Trash => "\\Trash",
        }
    }

    /// The use an attribute names; XLIST's `\Spam` is `\Junk`. Case does not matter (Cyrus
    /// writes `\sent`).
    pub fn from_attribute(attribute: &str) -> Option<SpecialUse> {
        let a = attribute.strip_prefix('\\')?.to_ascii_lowercase();
        Some(match a.as_str() {
            "sent" => SpecialUse::Sent,
            "archive" | "allmail" => SpecialUse::Archive,
            "junk" | "spam" => SpecialUse::Junk,
            "drafts" => SpecialUse::Drafts,
            "trash" => SpecialUse::Trash,
            _ => return None,
        })
    }

    /// The use a logical folder name stands for: the config's `sent_folder = "Sent"` (the
    /// default) means "the server's Sent folder, whatever it is called".
    fn of_logical(name: &str) -> Option<SpecialUse> {
        let lower = name.to_ascii_lowercase();
        Some(match lower.as_str() {
            "sent" => SpecialUse::Sent,
            "archive" => SpecialUse::Archive,
            "junk" => SpecialUse::Junk,
            "drafts" => SpecialUse::Drafts,
            "trash" => SpecialUse::Trash,
            _ => return None,
        })
    }
}

/// One namespace: the prefix its names start with and its hierarchy separator (`None`: flat).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    pub prefix: String,
    pub delimiter: Option<String>,
}

/// The server's personal namespace and special-use folders, and the names already settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderMap {
    pub personal: Namespace,
    /// Special-use folders by use, with their server names (first marked one wins).
    pub special: HashMap<SpecialUse, String>,
    /// Names settled earlier (stored by the sync engine), used as they are.
    pinned: HashMap<String, String>,
}

impl FolderMap {
    pub fn new(personal: Namespace) -> FolderMap {
        FolderMap {
            personal,
            special: HashMap::new(),
            pinned: HashMap::new(),
        }
    }

    /// The separator between levels on the server ("/" when the server has none).
    pub fn delimiter(&self) -> &str {
        self.personal.delimiter.as_deref().unwrap_or("/")
    }

    /// Uses `server` for the logical `folder` from now on.
    pub fn pin(&mut self, folder: &str, server: &str) {
        self.pinned.insert(folder.to_string(), server.to_string());
    }

    /// Records the folders the server marks for a use (from LIST's or XLIST's attributes).
    pub fn note_attributes<'a>(&mut self, server: &str, attributes: impl Iterator<Item = &'a str>) {
        for a in attributes {
            if let Some(u) = SpecialUse::from_attribute(a) {
                self.special.entry(u).or_insert_with(|| server.to_string());
            }
        }
    }

    /// The server's name for a logical folder written with `/`: INBOX as is; a name settled
    /// earlier as it was; `Sent`, `Archive`, `Junk`, `Drafts` or `Trash` alone the folder the
    /// server marks for that use; otherwise the levels joined with the server's separator, in
    /// modified UTF-7, under the personal namespace's prefix unless the name already carries it
    /// (`Chasers/Overdue` → `INBOX.Chasers.Overdue` on a server whose prefix is `INBOX.`).
    pub fn server_name(&self, folder: &str) -> String {
        if let Some(pinned) = self.pinned.get(folder) {
            return pinned.clone();
        }
        if folder.eq_ignore_ascii_case("INBOX") {
            return "INBOX".into();
        }
        if let Some(found) = SpecialUse::of_logical(folder).and_then(|u| self.special.get(&u)) {
            return found.clone();
        }
        self.mapped(folder)
    }

    /// The namespace mapping alone (no special use, nothing pinned).
    pub fn mapped(&self, folder: &str) -> String {
        let delimiter = self.delimiter();
        let joined = folder.split('/').collect::<Vec<_>>().join(delimiter);
        let encoded = utf7_imap::encode_utf7_imap(joined);
        let prefix = &self.personal.prefix;
        if prefix.is_empty() || starts_with_prefix(&encoded, prefix) {
            return encoded;
        }
        format!("{prefix}{encoded}")
    }
}

/// Whether `name` already begins with the namespace prefix. INBOX is case-insensitive
/// (RFC 3501), so `Inbox.x` carries the prefix `INBOX.` too.
fn starts_with_prefix(name: &str, prefix: &str) -> bool {
    let Some(head) = name.get(..prefix.len()) else {
        return false;
    };
    if head == prefix {
        return true;
    }
    match (prefix.get(..5), head.get(..5)) {
        (Some(p), Some(h)) => {
            p.eq_ignore_ascii_case("INBOX")
                && h.eq_ignore_ascii_case("INBOX")
                && head[5..] == prefix[5..]
        }
        _ => false,
    }
}

/// One IMAP string or atom or NIL at the start of `s`: the value and the rest.
fn string_token(s: &str) -> Option<(Option<String>, &str)> {
    let s = s.trim_start();
    if let Some(rest) = s.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = rest.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => out.push(chars.next()?.1),
                '"' => return Some((Some(out), &rest[i + 1..])),
                c => out.push(c),
            }
        }
        return None;
    }
    let end = s
        .find(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .unwrap_or(s.len());
    if end == 0 {
        return None;
    }
    let atom = &s[..end];
    let value = (!atom.eq_ignore_ascii_case("NIL")).then(|| atom.to_string());
    Some((value, &s[end..]))
}

/// The personal namespace from a `* NAMESPACE` response line (RFC 2342): its first entry,
/// `(("INBOX." "."))` → prefix `INBOX.`, separator `.`. `None` when the line is not one or
/// the personal namespace is NIL.
pub fn parse_namespace(line: &str) -> Option<Namespace> {
    let rest = line.trim_start().strip_prefix("* ")?.trim_start();
    // As src/imap/wire.rs hands it on: `* OK NAMESPACE …`.
    let rest = match rest.get(..3) {
        Some(ok) if ok.eq_ignore_ascii_case("OK ") => rest[3..].trim_start(),
        _ => rest,
    };
    if rest.len() < 9 || !rest[..9].eq_ignore_ascii_case("NAMESPACE") {
        return None;
    }
    let rest = rest[9..].trim_start().strip_prefix("((")?;
    let (prefix, rest) = string_token(rest)?;
    let (delimiter, _) = string_token(rest)?;
    Some(Namespace {
        prefix: prefix?,
        delimiter,
    })
}

/// A `* XLIST (attributes) "delimiter" name` line (Gmail's and old servers' special-use
/// listing; src/imap/wire.rs hands it on as `* LIST`): the attributes and the name. Names sent
/// as literals are not handled (they are rare for special folders); such lines give `None`.
pub fn parse_xlist(line: &str) -> Option<(Vec<String>, String)> {
    let rest = line.trim_start().strip_prefix("* ")?.trim_start();
    let word = rest.split_whitespace().next()?;
    if !word.eq_ignore_ascii_case("XLIST") && !word.eq_ignore_ascii_case("LIST") {
        return None;
    }
    let rest = rest[word.len()..].trim_start().strip_prefix('(')?;
    let close = rest.find(')')?;
    let attributes = rest[..close]
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let (_, rest) = string_token(&rest[close + 1..])?;
    let (name, _) = string_token(rest)?;
    Some((attributes, name?))
}

/// A LIST attribute as the server wrote it (`\Sent`, `\Noinferiors`).
pub(super) fn attribute_text(a: &imap_proto::NameAttribute<'_>) -> String {
    use imap_proto::NameAttribute as A;
    match a {
        A::NoInferiors => "\\Noinferiors".into(),
        A::NoSelect => "\\Noselect".into(),
        A::Marked => "\\Marked".into(),
        A::Unmarked => "\\Unmarked".into(),
        A::All => "\\All".into(),
        A::Archive => "\\Archive".into(),
        A::Drafts => "\\Drafts".into(),
        A::Flagged => "\\Flagged".into(),
        A::Junk => "\\Junk".into(),
        A::Sent => "\\Sent".into(),
        A::Trash => "\\Trash".into(),
        A::Extension(s) => s.to_string(),
        other => format!("{other:?}"),
    }
}

/// The personal namespace (NAMESPACE, else LIST's separator with no prefix) and the
/// special-use folders (LIST RETURN (SPECIAL-USE), else XLIST). A server that answers
/// neither leaves the plain mapping: a failure here costs features, never the connection.
pub(super) fn discover(session: &mut imap::Session<Wire>, extras: super::Extras) -> FolderMap {
    let from_namespace = if extras.namespace {
        session
            .run_command_and_read_response("NAMESPACE")
            .ok()
            .and_then(|raw| {
                String::from_utf8_lossy(&raw)
                    .lines()
                    .find_map(parse_namespace)
            })
    } else {
        None
    };
    let personal = match from_namespace {
        Some(ns) => ns,
        None => Namespace {
            prefix: String::new(),
            delimiter: session
                .list(Some(""), Some("\"\""))
                .ok()
                .and_then(|names| names.iter().find_map(|n| n.delimiter().map(str::to_string))),
        },
    };
    let mut map = FolderMap::new(personal);
    if extras.special_use {
        if let Ok(names) = session.list(Some(""), Some("\"*\" RETURN (SPECIAL-USE)")) {
            for n in names.iter() {
                let attributes: Vec<String> = n.attributes().iter().map(attribute_text).collect();
                map.note_attributes(n.name(), attributes.iter().map(String::as_str));
            }
        }
    } else if extras.xlist {
        if let Ok(raw) = session.run_command_and_read_response("XLIST \"\" \"*\"") {
            for line in String::from_utf8_lossy(&raw).lines() {
                if let Some((attributes, name)) = parse_xlist(line) {
                    map.note_attributes(&name, attributes.iter().map(String::as_str));
                }
            }
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(prefix: &str, delimiter: &str) -> FolderMap {
        FolderMap::new(Namespace {
            prefix: prefix.into(),
            delimiter: Some(delimiter.into()),
        })
    }

    #[test]
    fn names_go_under_the_personal_namespace_unless_they_carry_its_prefix() {
        let cyrus = ns("INBOX.", ".");
        assert_eq!(
            cyrus.server_name("Chasers/Overdue"),
            "INBOX.Chasers.Overdue"
        );
        assert_eq!(cyrus.server_name("INBOX"), "INBOX");
        assert_eq!(cyrus.server_name("inbox"), "INBOX");
        assert_eq!(
            cyrus.server_name("INBOX/Chasers/Overdue"),
            "INBOX.Chasers.Overdue"
        );
        assert_eq!(
            cyrus.server_name("INBOX.Chasers.Overdue"),
            "INBOX.Chasers.Overdue"
        );
        assert_eq!(cyrus.server_name("Inbox.Chasers"), "Inbox.Chasers");
        // "INBOXES" is not under the prefix.
        assert_eq!(cyrus.server_name("INBOXES"), "INBOX.INBOXES");
        let plain = ns("", "/");
        assert_eq!(plain.server_name("Chasers/Overdue"), "Chasers/Overdue");
        let dotted = ns("", ".");
        assert_eq!(dotted.server_name("Chasers/Overdue"), "Chasers.Overdue");
        assert_eq!(
            cyrus.server_name("Chasers/Überfällig"),
            "INBOX.Chasers.&ANw-berf&AOQ-llig"
        );
        let flat = FolderMap::new(Namespace {
            prefix: String::new(),
            delimiter: None,
        });
        assert_eq!(flat.server_name("Chasers/Overdue"), "Chasers/Overdue");
    }

    #[test]
    fn special_use_folders_are_found_by_their_attribute_and_pinned_names_stay() {
        let mut gmail = ns("", "/");
        gmail.note_attributes(
            "[Gmail]/Sent Mail",
            ["\\HasNoChildren", "\\Sent"].into_iter(),
        );
        gmail.note_attributes("[Gmail]/Spam", ["\\Spam"].into_iter());
        gmail.note_attributes("Other sent", ["\\sent"].into_iter());
        assert_eq!(gmail.server_name("Sent"), "[Gmail]/Sent Mail");
        assert_eq!(gmail.server_name("sent"), "[Gmail]/Sent Mail");
        assert_eq!(gmail.server_name("Junk"), "[Gmail]/Spam");
        // A name other than the use's own is an override and is taken literally.
        assert_eq!(gmail.server_name("Sent Items"), "Sent Items");
        assert_eq!(gmail.server_name("Drafts"), "Drafts", "none marked");
        let mut cyrus = ns("INBOX.", ".");
        assert_eq!(cyrus.server_name("Sent"), "INBOX.Sent");
        cyrus.pin("Chasers/Overdue", "Chasers.Overdue");
        assert_eq!(cyrus.server_name("Chasers/Overdue"), "Chasers.Overdue");
    }

    #[test]
    fn namespace_and_xlist_lines_are_read() {
        assert_eq!(
            parse_namespace("* NAMESPACE ((\"INBOX.\" \".\")) ((\"user.\" \".\")) NIL"),
            Some(Namespace {
                prefix: "INBOX.".into(),
                delimiter: Some(".".into())
            })
        );
        assert_eq!(
            parse_namespace("* NAMESPACE ((\"\" \"/\")) NIL NIL").map(|n| n.prefix),
            Some(String::new())
        );
        assert_eq!(
            parse_namespace("* namespace ((\"\" NIL)) NIL NIL").map(|n| n.delimiter),
            Some(None)
        );
        assert_eq!(parse_namespace("* NAMESPACE NIL NIL NIL"), None);
        assert_eq!(parse_namespace("* OK fine"), None);
        assert_eq!(
            parse_xlist("* XLIST (\\HasNoChildren \\Sent) \"/\" \"[Gmail]/Sent Mail\""),
            Some((
                vec!["\\HasNoChildren".to_string(), "\\Sent".to_string()],
                "[Gmail]/Sent Mail".to_string()
            ))
        );
        assert_eq!(
            parse_xlist("* XLIST (\\Inbox) \"/\" Inbox").map(|x| x.1),
            Some("Inbox".to_string())
        );
        assert_eq!(
            parse_xlist("* LIST () \"/\" x").map(|x| x.1),
            Some("x".to_string())
        );
        assert_eq!(parse_xlist("* STATUS x (MESSAGES 1)"), None);
        assert_eq!(
            parse_namespace("* OK NAMESPACE ((\"INBOX.\" \".\")) NIL NIL").map(|n| n.prefix),
            Some("INBOX.".to_string())
        );
        assert_eq!(parse_xlist("* XLIST (\\Sent \"/\" \"broken"), None);
    }
}
