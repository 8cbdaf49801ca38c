//! How a live program is shown: the options `run` and `attach` share.

use evscope::dash::{self, Theme};
use evscope::trace::Lang;

#[derive(clap::Args)]
pub struct ViewArgs {
    /// Print the timeline as text instead of opening the dashboard.
    #[arg(long)]
    pub print: bool,
    /// Start paused (dashboard: n steps, space runs; --print: Enter on stdin steps).
    #[arg(long)]
    pub step: bool,
    /// Language of the explanations: en or zh.
    #[arg(long, default_value = "en")]
    pub lang: Lang,
    /// Dashboard colours: dark, light or contrast (for projectors).
    #[arg(long, default_value = "dark")]
    pub theme: Theme,
}

impl ViewArgs {
    /// The dashboard's options for these arguments.
    pub fn dash_options(&self) -> dash::Options {
        dash::Options {
            theme: self.theme,
            lang: self.lang,
            step: self.step,
        }
    }
}
