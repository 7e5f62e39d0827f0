//! The keys the README lists are the keys the UI binds and the `?` overlay shows: all come
//! from `tui::strings::ACTIONS`, and this keeps the README's table equal to it.

#[test]
fn readme_key_table_matches_the_bindings() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table = duebox::tui::strings::readme_table();
    assert!(
        readme.contains(&table),
        "README.md's key table differs from tui::strings::ACTIONS; replace it with:\n{table}"
    );
}

#[test]
fn every_default_key_works_as_an_override() {
    use std::collections::BTreeMap;
    for a in duebox::tui::strings::ACTIONS {
        let mut o = BTreeMap::new();
        o.insert(a.name.to_string(), a.keys.join(", "));
        duebox::tui::keymap::Keymap::with_overrides(&o)
            .unwrap_or_else(|e| panic!("{}: {e}", a.name));
    }
}
