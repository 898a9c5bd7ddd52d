//! Acknowledging the failing row under the cursor: `a` opens the prompt (reason required,
//! expiry default 7d), enter asks the worker to store it ([`Effect::Acknowledge`]), and the
//! answer ([`Msg::Acked`](super::Msg::Acked)) dims the row and re-reads the stored state so
//! the header's verdict leaves it out.

use super::{App, Effect};
use crate::model::{Acknowledgement, Outcome, utc_minutes};
use crate::store::AckRequest;
use crate::tui::components::ack::AckTarget;
use crate::tui::keymap::{Action, InputMode};

impl App {
    /// `a`: ask about the row under the cursor if it is a failure not yet acknowledged.
    pub(super) fn open_ack_prompt(&mut self) {
        let Some(id) = self.selected() else {
            self.status = "no row to acknowledge".into();
            return;
        };
        if let Some(a) = self.table.acknowledgement(id) {
            self.status = format!("already {} (driftscope unack removes it)", a.describe());
            return;
        }
        let Some(rec) = self.table.selected_record() else {
            return;
        };
        if rec.outcome != Outcome::Fail {
            self.status = format!(
                "only a failure can be acknowledged; this row is {}",
                rec.outcome
            );
            return;
        }
        self.ack.open(AckTarget {
            environment: rec.environment.clone(),
            host: rec.host.clone(),
            key: rec.key.as_str().to_string(),
            actual: rec.actual.clone(),
        });
        self.mode = InputMode::Ack;
    }

    /// Keys while the prompt is open.
    pub(super) fn on_ack_action(&mut self, a: Action, fx: &mut Vec<Effect>) {
        match a {
            Action::Accept => {
                let Some(input) = self.ack.submit(chrono::Utc::now()) else {
                    return; // the prompt says why
                };
                fx.push(Effect::Acknowledge(AckRequest {
                    env: Some(input.target.environment.clone()),
                    host: input.target.host.clone(),
                    check: input.target.key.clone(),
                    reason: input.reason,
                    expires_at: input.expires_at,
                    user: crate::model::os_user(),
                    actual: Some(input.target.actual),
                }));
                self.status = format!(
                    "acknowledging {} × {}…",
                    input.target.host, input.target.key
                );
                self.ack.close();
                self.mode = InputMode::Normal;
            }
            Action::Cancel => {
                self.ack.close();
                self.mode = InputMode::Normal;
                self.status = "not acknowledged".into();
            }
            Action::FocusNext => self.ack.switch_field(),
            Action::DeleteChar => self.ack.pop(),
            Action::Interrupt => {
                self.ack.close();
                self.mode = InputMode::Normal;
                self.on_action(Action::Interrupt, fx);
            }
            _ => {}
        }
    }

    /// The worker stored it (or could not): dim the row, re-judge the stored state.
    pub(super) fn on_acked(
        &mut self,
        result: Result<Acknowledgement, String>,
        fx: &mut Vec<Effect>,
    ) {
        match result {
            Ok(a) => {
                self.status = format!(
                    "acknowledged {} × {} until {}",
                    a.host,
                    a.key,
                    utc_minutes(a.expires_at)
                );
                self.table.acknowledge(a);
                self.ask_latest(fx);
            }
            Err(why) => self.status = format!("not acknowledged: {why}"),
        }
    }
}
