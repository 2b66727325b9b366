//! Progress on a terminal: a bar (or a counter when the total is unknown) on stderr while
//! a long stage runs, cleared when it ends. Nothing is drawn when stderr is not a terminal
//! (a pipe, a log file, CI), so logs and captured output stay clean.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A stage's progress, advanced from any thread.
pub struct Progress(ProgressBar);

impl Progress {
    /// `len` units of work (cases, rows) of the stage `what`.
    pub fn bar(what: &str, len: u64, unit: &str) -> Progress {
        let style = ProgressStyle::with_template(&format!(
            "{{prefix:>8}} [{{bar:32}}] {{human_pos}}/{{human_len}} {unit}, {{elapsed}} ({{eta}} left)"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        Progress::drawn(ProgressBar::new(len).with_style(style).with_prefix(what.to_string()))
    }

    /// A count of units with no known total (rows of an export as it is read).
    pub fn counter(what: &str, unit: &str) -> Progress {
        let style = ProgressStyle::with_template(&format!("{{prefix:>8}} {{spinner}} {{human_pos}} {unit} {{msg}}"))
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let bar = ProgressBar::no_length().with_style(style).with_prefix(what.to_string());
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress::drawn(bar)
    }

    fn drawn(bar: ProgressBar) -> Progress {
        if std::io::stderr().is_terminal() && std::env::var_os("MINQING_NO_PROGRESS").is_none() {
            bar.set_draw_target(ProgressDrawTarget::stderr());
        } else {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        Progress(bar)
    }

    pub fn inc(&self, n: u64) {
        self.0.inc(n);
    }

    pub fn message(&self, m: impl Into<String>) {
        self.0.set_message(m.into());
    }

    /// Whether anything is drawn.
    #[cfg(test)]
    pub fn is_drawn(&self) -> bool {
        !self.0.is_hidden()
    }
}

impl Drop for Progress {
    /// The line is cleared when the stage ends, on success or error.
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_drawn_off_a_terminal() {
        // cargo test captures stderr: it is no terminal
        let p = Progress::bar("enrich", 10, "cases");
        p.inc(3);
        assert!(!p.is_drawn() || std::io::stderr().is_terminal());
        assert_eq!(p.0.position(), 3, "the count is kept even when nothing is drawn");
    }
}
