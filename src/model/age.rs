//! Durations written the way people write them (`45s`, `30m`, `24h`, `90d`, `2w`): the one
//! parser behind `--since`, `--older-than`, `--stale-after` and `--keep-connections`.

use std::time::Duration;

/// `45s`, `30m`, `24h`, `90d`, `2w` → a duration.
pub fn parse_age(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("expected a number and a unit like 24h or 90d, found {s:?}"))?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => {
            return Err(format!(
                "unknown unit {unit:?} in {s:?}; use s, m, h, d or w (e.g. 24h, 90d)"
            ));
        }
    };
    n.checked_mul(secs)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{s:?} is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_parse_with_units() {
        assert_eq!(parse_age("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_age("90d"), Ok(Duration::from_secs(90 * 86_400)));
        assert_eq!(parse_age("15m"), Ok(Duration::from_secs(900)));
        assert!(parse_age("24").unwrap_err().contains("unknown unit"));
        assert!(parse_age("h").unwrap_err().contains("expected a number"));
        assert!(parse_age("99999999999999999w").is_err());
    }
}
