//! How long something took, as people read it: `40 ms` under a second, `3.4s` under a
//! minute, `2m05s` above (the history list, the TUI header and status line).

use std::time::Duration;

/// `40 ms`, `3.4s`, `2m05s`, `1h02m`.
pub fn elapsed_text(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        return format!("{ms} ms");
    }
    let s = d.as_secs_f64();
    if s < 60.0 {
        return format!("{s:.1}s");
    }
    let secs = d.as_secs();
    if secs < 3600 {
        format!("{}m{:02}s", secs / 60, secs % 60)
    } else {
        format!("{}h{:02}m", secs / 3600, (secs % 3600) / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_second_runs_show_milliseconds() {
        assert_eq!(elapsed_text(Duration::from_millis(40)), "40 ms");
        assert_eq!(elapsed_text(Duration::from_millis(0)), "0 ms");
        assert_eq!(elapsed_text(Duration::from_millis(3400)), "3.4s");
        assert_eq!(elapsed_text(Duration::from_secs(125)), "2m05s");
        assert_eq!(elapsed_text(Duration::from_secs(3720)), "1h02m");
    }
}
