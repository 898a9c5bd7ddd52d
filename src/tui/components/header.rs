//! Header line: environment, run state (idle / running N/M hosts, checks/s, elapsed /
//! finished with counts / cancelled), history DB and the help key.

use super::styled;
use crate::model::human_duration;
use crate::tui::app::App;
use crate::tui::keymap::{Action, InputMode};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// The run state as spans (also used by tests).
pub fn run_spans(app: &App) -> Vec<Span<'static>> {
    let t = &app.theme;
    let Some(run) = &app.run else {
        return vec![styled("idle", t.muted)];
    };
    let elapsed = run.elapsed(app.now);
    // a narrowed run (re-check, host or category) says what it covered
    let narrowed = (!run.scope.is_full()).then(|| {
        let d = run.scope.describe();
        let d = d
            .strip_prefix(run.scope.environment.as_str())
            .unwrap_or(&d)
            .trim()
            .to_string();
        styled(format!("[{}] ", super::ellipsize(&d, 40)), t.muted)
    });
    let secs = elapsed.as_secs_f64();
    if run.running() {
        let rate = if secs > 0.0 {
            run.results as f64 / secs
        } else {
            0.0
        };
        let what = if run.cancel_requested {
            "cancelling"
        } else {
            "running"
        };
        let mut spans = vec![styled(format!("● {what} "), t.accent)];
        spans.extend(narrowed);
        spans.extend([Span::raw(format!(
            "{}/{} hosts · {:.0} checks/s · {}",
            run.hosts_done,
            run.hosts_total,
            rate,
            human_duration(elapsed)
        ))]);
        spans
    } else {
        let c = run.counts;
        let (word, style) = if run.cancelled {
            ("✗ cancelled", t.unreachable)
        } else {
            ("✓ finished", t.pass)
        };
        let mut spans = vec![styled(format!("{word} "), style)];
        spans.extend(narrowed);
        spans.extend([
            Span::raw(format!("in {} · ", human_duration(elapsed))),
            styled(format!("{} pass", c.pass), t.pass),
            Span::raw(" "),
            styled(
                format!("{} fail", c.fail),
                if c.fail > 0 { t.fail } else { t.muted },
            ),
        ]);
        let problems = c.problems();
        if problems > 0 {
            spans.push(Span::raw(" "));
            spans.push(styled(format!("{problems} problems"), t.error));
        }
        spans
    }
}

pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let sep = || styled(" │ ", t.border);
    let mut spans = vec![
        styled(" driftscope", t.accent.add_modifier(Modifier::BOLD)),
        sep(),
        styled("env ", t.muted),
        Span::raw(app.current_env().unwrap_or("—").to_string()),
        sep(),
    ];
    spans.extend(run_spans(app));
    let help = app
        .keymap
        .first_key(InputMode::Normal, Action::Help)
        .unwrap_or("?");
    spans.push(sep());
    spans.push(styled(format!("{help} help"), t.muted));
    spans.push(sep());
    spans.push(styled("db ", t.muted));
    spans.push(Span::raw(app.db_label.clone()));
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}
