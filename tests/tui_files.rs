//! The UI and the files it writes: a template edited with `t` that does not check is not
//! kept (the last good version comes back and the screen says why), and a message's
//! attachments are listed, a PDF's text shown and the files saved with `w`, never over a
//! file that exists.

mod tui_support;

use duebox::tui::state::Screen;
use tui_support::{demo_ui, WAIT};

#[test]
fn a_template_broken_in_the_ui_is_not_kept_and_the_reason_is_shown() {
    let mut ui = demo_ui(100, 30);
    let dir = tempfile::tempdir().unwrap();
    let templates = duebox::reply::Templates {
        user_dir: Some(dir.path().to_path_buf()),
    };
    let good = templates.ensure_user_copy("set_expectations").unwrap();
    let before = std::fs::read_to_string(&good).unwrap();
    ui.h.runner.template_path = Some(Box::new(move |name| {
        templates
            .ensure_user_copy(name)
            .map_err(|e| duebox::tui::error::UiError::from(e.to_string()))
    }));
    // The edit leaves an unclosed block; the user declines to edit again.
    let script = dir.path().join("break.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nprintf 'Hello {%% if vendor %%}\\n' > \"$1\"\n",
    )
    .unwrap();
    ui.h.runner.editor = Some(format!("sh {}", script.display()));
    ui.h.runner.ask_again = |_| false;
    ui.h.press("t j enter");
    let screen = ui.screen();
    assert!(
        screen.contains("template set_expectations not changed, the previous version is kept"),
        "{screen}"
    );
    assert_eq!(
        std::fs::read_to_string(&good).unwrap(),
        before,
        "the last good version is back"
    );
    assert!(dir.path().join("set_expectations.txt.rejected").exists());
}

#[test]
fn an_attachment_is_listed_its_pdf_text_shown_and_saved_never_over_a_file() {
    let mut ui = demo_ui(120, 36);
    // Hartmann's last reminder, with its PDF (filed by stage: overdue or final).
    for folder in ["Overdue", "Final"] {
        ui.open_folder(folder);
        ui.filter("Letzte Mahnung");
        if ui.h.app.mailbox.list.len() == 1 {
            break;
        }
    }
    assert_eq!(ui.h.app.mailbox.list.len(), 1, "{}", ui.screen());
    ui.open_selected();
    let screen = ui.screen();
    assert!(
        screen.contains("Attached") && screen.contains("application/pdf"),
        "{screen}"
    );
    ui.h.press("G");
    assert!(
        ui.screen().contains("Text of the attached PDF"),
        "{}",
        ui.screen()
    );

    let dir = tempfile::tempdir().unwrap();
    let save = |ui: &mut tui_support::DemoUi| {
        ui.h.press("w");
        assert!(
            ui.screen().contains("Save the attachments in folder"),
            "{}",
            ui.screen()
        );
        ui.h.press("ctrl-u");
        ui.h.type_text(&dir.path().display().to_string());
        ui.h.press("enter");
        ui.h.wait_until(WAIT, |a| {
            a.status.busy.is_none() && (a.status.note.is_some() || a.status.error.is_some())
        });
        ui.screen()
    };
    let screen = save(&mut ui);
    assert!(screen.contains("saved "), "{screen}");
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let saved = files[0].path();
    assert!(std::fs::read(&saved).unwrap().starts_with(b"%PDF-"));
    // Again: the file is there, so nothing is replaced and the screen says so.
    std::fs::write(&saved, b"mine").unwrap();
    let screen = save(&mut ui);
    assert!(screen.contains("exists and was not"), "{screen}");
    assert_eq!(std::fs::read(&saved).unwrap(), b"mine");
}

#[test]
fn the_demo_keeps_edited_templates_in_its_own_temp_dir() {
    let demo = duebox::demo::load().unwrap();
    let templates = duebox::demo::templates(&demo);
    let dir = templates.user_dir.clone().unwrap();
    assert!(dir.starts_with(demo.dir.path()), "{}", dir.display());
    let copy = templates.ensure_user_copy("acknowledge").unwrap();
    assert!(copy.starts_with(demo.dir.path()), "{}", copy.display());
}

#[test]
fn e_on_a_paid_invoice_is_refused_and_offers_c_and_past_dates_stay_in_the_prompt() {
    let mut ui = demo_ui(140, 30);
    ui.open_folder("Overdue");
    ui.filter("SN-2026/1042");
    assert_eq!(ui.h.app.mailbox.list.len(), 1, "{}", ui.screen());
    ui.h.press("e");
    assert!(
        ui.h.wait_until(WAIT, |a| a.overlay.is_some()),
        "{}",
        ui.screen()
    );
    // A date before the demo's today is refused where it was typed.
    ui.h.press("ctrl-u");
    ui.h.type_text("2026-11-01");
    ui.h.press("enter");
    assert!(ui.h.app.overlay.is_some(), "the prompt stays open");
    assert!(ui.screen().contains("in the past"), "{}", ui.screen());
    ui.h.press("ctrl-u");
    ui.h.type_text("2026-12-04");
    ui.h.press("enter");
    ui.h.wait_until(WAIT, |a| {
        a.status
            .error
            .as_deref()
            .is_some_and(|e| e.contains("already paid"))
    });
    let screen = ui.screen();
    assert!(screen.contains("already paid"), "{screen}");
    assert!(screen.contains("c in the UI"), "{screen}");
    assert!(
        !matches!(ui.h.app.top(), Some(Screen::Reply(_))),
        "no preview to send"
    );
}
