//! `{name}` templates for rule titles, severities and fingerprints (`{labels.NAME}` reads a label); `{{` and `}}` are literal braces.

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Lit(String),
    Var(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

impl Template {
    /// Parse `src`; every placeholder must be in `known`.
    pub fn parse(src: &str, known: &[&str]) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut chars = src.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    lit.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    lit.push('}');
                }
                '{' => {
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(ch) => name.push(ch),
                            None => return Err(format!("unclosed `{{{name}` in `{src}`")),
                        }
                    }
                    let name = name.trim().to_string();
                    let label = name.strip_prefix("labels.").is_some_and(|l| !l.is_empty());
                    if !label && !known.contains(&name.as_str()) {
                        return Err(format!(
                            "`{{{name}}}` in `{src}` is neither a named capture of the pattern nor `labels.NAME` (known: {})",
                            known.join(", ")
                        ));
                    }
                    if !lit.is_empty() {
                        parts.push(Part::Lit(std::mem::take(&mut lit)));
                    }
                    parts.push(Part::Var(name));
                }
                '}' => return Err(format!("stray `}}` in `{src}` (write `}}}}` for a literal brace)")),
                other => lit.push(other),
            }
        }
        if !lit.is_empty() {
            parts.push(Part::Lit(lit));
        }
        Ok(Template { parts })
    }

    pub fn render(&self, lookup: impl Fn(&str) -> String) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Lit(s) => out.push_str(s),
                Part::Var(v) => out.push_str(&lookup(v)),
            }
        }
        out
    }
}
