//! The one human duration formatter: `79ms`, `4.2s`, `1m 05s`, `2h 5m`, `3d 4h`. Used for run
//! times, result durations and ages alike, so every screen and command says durations the
//! same way.

use std::time::Duration;

/// `79ms` under a second, `4.2s` under a minute, then the two largest units:
/// `1m 05s`, `2h 5m`, `3d 4h` (a zero second unit is left out: `5m`, `2h`, `3d`).
pub fn human_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let secs = d.as_secs_f64();
    if secs < 60.0 {
        return format!("{secs:.1}s");
    }
    human_duration_secs(d.as_secs().min(i64::MAX as u64) as i64)
}

/// [`human_duration`] of whole seconds (ages from timestamps); negative counts as zero.
pub fn human_duration_secs(secs: i64) -> String {
    let s = secs.max(0);
    let (d, h, m, sec) = (s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60, s % 60);
    let two = |big: i64, bu: &str, small: i64, su: &str, pad: bool| {
        if small == 0 {
            format!("{big}{bu}")
        } else if pad {
            format!("{big}{bu} {small:02}{su}")
        } else {
            format!("{big}{bu} {small}{su}")
        }
    };
    if d > 0 {
        two(d, "d", h, "h", false)
    } else if h > 0 {
        two(h, "h", m, "m", false)
    } else if m > 0 {
        two(m, "m", sec, "s", true)
    } else {
        format!("{s}s")
    }
}

/// An age in its largest unit, as a table cell says it: `now`, `45s ago`, `12m ago`,
/// `2h ago`, `3d ago` (the detail and header say the precise [`human_duration_secs`]).
pub fn age_text(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..=4 => "now".to_string(),
        5..=59 => format!("{s}s ago"),
        60..=3599 => format!("{}m ago", s / 60),
        3600..=86_399 => format!("{}h ago", s / 3600),
        _ => format!("{}d ago", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_range_reads_as_a_person_would_say_it() {
        let ms = Duration::from_millis;
        assert_eq!(human_duration(ms(79)), "79ms");
        assert_eq!(human_duration(ms(4_240)), "4.2s");
        assert_eq!(human_duration(ms(65_000)), "1m 05s");
        assert_eq!(human_duration(ms(300_000)), "5m");
        assert_eq!(human_duration_secs(2 * 3600 + 5 * 60 + 7), "2h 5m");
        assert_eq!(human_duration_secs(3 * 86_400 + 4 * 3600), "3d 4h");
        assert_eq!(human_duration_secs(2 * 86_400), "2d");
        assert_eq!(human_duration_secs(12), "12s");
        assert_eq!(human_duration_secs(-5), "0s");
        assert_eq!(age_text(2 * 3600 + 5 * 60), "2h ago");
        assert_eq!(age_text(3), "now");
        assert_eq!(age_text(90), "1m ago");
        assert_eq!(age_text(3 * 86_400 + 10), "3d ago");
    }
}
