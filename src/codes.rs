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
        assert_eq!(
            "Overdue".parse::<Stage>(),
            Err("'Overdue' is not a chase stage".to_string())
        );
        assert!("".parse::<Risk>().is_err());
        assert!("matched ".parse::<MatchStatus>().is_err());
    }
}
