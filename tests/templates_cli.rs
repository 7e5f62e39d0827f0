//! `duebox templates` and `duebox log` as a user runs them: editing a template in $EDITOR
//! with the check on save (and re-editing after a mistake), rendering against a message file,
//! and the record exported as CSV.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn duebox(home: &Path, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_duebox"));
    cmd.args(args)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env_remove("VISUAL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("duebox runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// An "editor" that replaces the file with the next of the given versions on each run.
fn scripted_editor(dir: &Path, versions: &[&str]) -> String {
    for (i, v) in versions.iter().enumerate() {
        std::fs::write(dir.join(format!("v{i}")), v).unwrap();
    }
    let script = dir.join("editor.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nn=$(cat {d}/count 2>/dev/null || echo 0)\ncp {d}/v$n \"$1\"\necho $((n+1)) > {d}/count\n",
            d = dir.display()
        ),
    )
    .unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status()
        .unwrap();
    script.display().to_string()
}

#[test]
fn edit_checks_on_save_names_the_line_and_offers_to_edit_again() {
    let home = tempfile::tempdir().unwrap();
    let bad = "Subject: Re: {{ subject }}\n\nDear {{ contact_name }},\n\nWe will pay {{ amount_owed }} soon.\n";
    let good = "Subject: Re: {{ subject }}\n\nDear {{ vendor }},\n\nThanks, we are on it.\n\n{{ signature }}\n";
    let editor = scripted_editor(home.path(), &[bad, good]);
    let out = duebox(
        home.path(),
        &["templates", "edit", "acknowledge"],
        &[("EDITOR", &editor)],
        "y\n",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("line 5: unknown variable 'amount_owed'"),
        "{err}"
    );
    assert!(err.contains("Edit again?"), "{err}");
    let saved = home.path().join("config/duebox/templates/acknowledge.txt");
    assert_eq!(std::fs::read_to_string(&saved).unwrap(), good);
    let list = duebox(home.path(), &["templates", "list"], &[], "");
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(
        text.contains("acknowledge") && text.contains("(yours:"),
        "{text}"
    );
    // The user's copy is what renders now.
    let out = duebox(
        home.path(),
        &[
            "templates",
            "render",
            "acknowledge",
            "--message",
            &fixture("corpus/a-001-en-reminder-acme.eml"),
        ],
        &[],
        "",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Thanks, we are on it."), "{text}");
}

#[test]
fn declining_to_re_edit_keeps_the_last_good_version_and_the_rejected_text() {
    let home = tempfile::tempdir().unwrap();
    let bad = "Subject: Re: {{ subject }}\n\n{% if vendor %}never closed\n";
    let editor = scripted_editor(home.path(), &[bad]);
    let out = duebox(
        home.path(),
        &["templates", "edit", "negotiate"],
        &[("EDITOR", &editor)],
        "n\n",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("negotiate.txt, line"), "{err}");
    let dir = home.path().join("config/duebox/templates");
    let kept = std::fs::read_to_string(dir.join("negotiate.txt")).unwrap();
    assert!(kept.contains("instalments"), "the built-in text is back");
    assert_eq!(
        std::fs::read_to_string(dir.join("negotiate.txt.rejected")).unwrap(),
        bad
    );
}

#[test]
fn show_lists_the_variables_and_render_explains_what_is_missing() {
    let home = tempfile::tempdir().unwrap();
    let out = duebox(
        home.path(),
        &["templates", "show", "set_expectations"],
        &[],
        "",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Requires: pay_on") && text.contains("days_overdue"),
        "{text}"
    );
    let out = duebox(
        home.path(),
        &[
            "templates",
            "render",
            "set_expectations",
            "--message",
            &fixture("corpus/a-001-en-reminder-acme.eml"),
        ],
        &[],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--pay-on DATE"));
    let out = duebox(home.path(), &["templates", "show", "no_such"], &[], "");
    assert!(String::from_utf8_lossy(&out.stderr).contains("templates list"));
}

#[test]
fn log_exports_the_record_of_an_invoice_as_csv() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("d.db");
    let db = db.to_str().unwrap();
    let out = duebox(
        home.path(),
        &[
            "--db",
            db,
            "payables",
            "import",
            &fixture("corpus/payables.csv"),
        ],
        &[],
        "",
    );
    assert!(out.status.success());
    let out = duebox(
        home.path(),
        &[
            "--db",
            db,
            "payables",
            "mark-paid",
            "INV-00123",
            "--on",
            "2026-11-20",
            "--reference",
            "BACS-1",
            "--yes",
        ],
        &[],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = duebox(
        home.path(),
        &["--db", db, "log", "--invoice", "inv 123", "--csv"],
        &[],
        "",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    let kinds: Vec<String> = rows.records().map(|r| r.unwrap()[2].to_string()).collect();
    assert_eq!(kinds, ["payable_added", "payable_paid"], "{text}");
    assert!(
        text.starts_with("at,actor,kind,message_id,vendor,invoice,detail"),
        "{text}"
    );
}

#[test]
fn config_check_without_a_file_says_so_and_init_writes_one_that_checks() {
    let home = tempfile::tempdir().unwrap();
    let out = duebox(home.path(), &["config", "check", "--offline"], &[], "");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("there is no config file at"), "{err}");
    assert!(
        err.contains("config.example.toml") && err.contains("duebox init"),
        "{err}"
    );

    // Answers from a pipe: Fastmail, a password from the environment, default folders.
    let answers =
        "ap@northwind.test\n3\n\nNorthwind Traders Ltd\nnorthwind.test\nfd@northwind.test\ny\n";
    let out = duebox(home.path(), &["init", "--offline"], &[], answers);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("config file") && text.contains("OK"),
        "{text}"
    );
    let written = std::fs::read_to_string(home.path().join("config/duebox/config.toml")).unwrap();
    assert!(
        written.contains("host = \"imap.fastmail.com\""),
        "{written}"
    );
    assert!(
        written.contains("password_env = \"DUEBOX_IMAP_PASSWORD\""),
        "{written}"
    );
    let out = duebox(home.path(), &["config", "check", "--offline"], &[], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A second init asks before replacing the file, and "n" leaves it alone.
    let out = duebox(home.path(), &["init", "--offline"], &[], "n\n");
    assert!(String::from_utf8_lossy(&out.stdout).contains("unchanged"));
    assert_eq!(
        std::fs::read_to_string(home.path().join("config/duebox/config.toml")).unwrap(),
        written
    );
}
