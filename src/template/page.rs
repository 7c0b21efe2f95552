//! runsheet's own HTML pages rendered from the templates it ships, HTML-escaped.

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;

use crate::error::{Error, Result};

/// Renders the page template `source` (named `name`) with `context`. Values
/// are HTML-escaped unless the template marks them `|safe`; an undefined
/// value is an error, not an empty string.
pub fn page(name: &str, source: &str, context: &impl Serialize) -> Result<String> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    let fail = |e: minijinja::Error| Error::Page(format!("{name}: {e:#}"));
    env.add_template(name, source).map_err(fail)?;
    env.get_template(name)
        .map_err(fail)?
        .render(minijinja::value::Serde(context))
        .map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_and_undefined_ones_refused() {
        let ctx = serde_json::json!({"who": "<b>&\"x\""});
        assert_eq!(
            page("t.html", "<p>{{ who }}</p>", &ctx).unwrap(),
            "<p>&lt;b&gt;&amp;&quot;x&quot;</p>"
        );
        assert!(page("t.html", "{{ nobody }}", &ctx).is_err());
    }
}
