//! `[team]` of the configuration file: this clerk's name and how long a claim lasts. Reading
//! and checking only: claims themselves are src/team.

use serde::Deserialize;

/// `[team]`: this clerk's name (shown to the others) and how long a claim on a chaser lasts
/// before another clerk may take it over.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Team {
    #[serde(deserialize_with = "clerk_name")]
    pub clerk: String,
    #[serde(default = "claim_minutes", deserialize_with = "positive_minutes")]
    pub claim_minutes: u32,
}

fn clerk_name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let name = String::deserialize(d)?;
    if name.trim().is_empty() || name.chars().any(char::is_control) {
        return Err(serde::de::Error::custom(
            "clerk must be your name as the others should see it, e.g. clerk = \"Maria\"",
        ));
    }
    Ok(name.trim().to_string())
}

fn claim_minutes() -> u32 {
    30
}

fn positive_minutes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    match u32::deserialize(d)? {
        0 => Err(serde::de::Error::custom(
            "claim_minutes must be at least 1 (a claim that expires at once protects nothing)",
        )),
        n => Ok(n),
    }
}
