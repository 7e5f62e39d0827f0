//! Reading the JSON contract's codes ("overdue", "bank_change", "amount_mismatch") back into
//! their enums, one rule for all of them: a code is the `as_str` of exactly one value, and
//! anything else is an error that names what was expected. Pure: no I/O.

/// The value of `all` whose code is `code`; `what` names the kind in the error.
pub fn from_code<T: Copy>(
    all: &[T],
    code: &str,
    as_str: fn(T) -> &'static str,
    what: &str,
) -> Result<T, String> {
    all.iter()
        .copied()
        .find(|v| as_str(*v) == code)
        .ok_or_else(|| format!("'{code}' is not {what}"))
}

// The classifier's chaser-or-not as the store keeps it ("chaser", "other", the contract's
// words); here rather than in src/classify, whose verdict only serialises it.
impl crate::classify::Kind {
    pub const ALL: [crate::classify::Kind; 2] =
        [crate::classify::Kind::Chaser, crate::classify::Kind::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            crate::classify::Kind::Chaser => "chaser",
            crate::classify::Kind::Other => "other",
        }
    }
}

impl std::str::FromStr for crate::classify::Kind {
    type Err = String;
    fn from_str(code: &str) -> Result<crate::classify::Kind, String> {
        from_code(
            &crate::classify::Kind::ALL,
            code,
            crate::classify::Kind::as_str,
            "a message kind",
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::classify::risk::Risk;
    use crate::classify::Stage;
    use crate::payables::validate::MatchStatus;

    #[test]
    fn every_code_reads_back_to_its_value_and_nothing_else_reads() {
        for s in Stage::ALL {
            assert_eq!(s.as_str().parse::<Stage>(), Ok(s));
        }
        for r in Risk::ALL {
            assert_eq!(r.as_str().parse::<Risk>(), Ok(r));
        }
        for m in MatchStatus::ALL {
            assert_eq!(m.as_str().parse::<MatchStatus>(), Ok(m));
        }
        for k in crate::classify::Kind::ALL {
            assert_eq!(k.as_str().parse::<crate::classify::Kind>(), Ok(k));
            // The contract's word, as the verdict's JSON writes it.
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        assert_eq!(
            "Overdue".parse::<Stage>(),
            Err("'Overdue' is not a chase stage".to_string())
        );
        assert!("".parse::<Risk>().is_err());
        assert!("matched ".parse::<MatchStatus>().is_err());
    }
}
