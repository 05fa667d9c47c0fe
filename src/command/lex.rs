//! Shell-word tokenizer tuned for chat: quotes group words, but an apostrophe inside a word
//! (`we're`, `it's`) is just a letter, and an unmatched quote is kept literally.

/// One word of a command line, with its place in the raw text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The word with grouping quotes removed.
    pub value: String,
    /// Byte range in the raw line, quotes included.
    pub start: usize,
    pub end: usize,
}

fn closing_quote(open: char) -> Option<char> {
    match open {
        '"' => Some('"'),
        '\'' => Some('\''),
        '“' => Some('”'),
        '‘' => Some('’'),
        _ => None,
    }
}

/// Split `line` into tokens. A quote opens a group only at the start of a word, and closes it
/// only when followed by whitespace or the end of the line; otherwise it is an ordinary character.
pub fn tokenize(line: &str) -> Vec<Token> {
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if let Some(close) = closing_quote(c) {
            // Find a closing quote followed by whitespace or end of line.
            let mut j = i + 1;
            let mut found = None;
            while j < chars.len() {
                let (_, cj) = chars[j];
                let next_is_break = chars.get(j + 1).is_none_or(|(_, n)| n.is_whitespace());
                if cj == close && next_is_break {
                    found = Some(j);
                    break;
                }
                j += 1;
            }
            if let Some(j) = found {
                let inner_start = start + c.len_utf8();
                let end = chars[j].0 + close.len_utf8();
                tokens.push(Token {
                    value: line[inner_start..chars[j].0].to_string(),
                    start,
                    end,
                });
                i = j + 1;
                continue;
            }
        }
        // Plain word up to the next whitespace.
        let mut j = i;
        while j < chars.len() && !chars[j].1.is_whitespace() {
            j += 1;
        }
        let end = chars.get(j).map_or(line.len(), |(p, _)| *p);
        tokens.push(Token {
            value: line[start..end].to_string(),
            start,
            end,
        });
        i = j;
    }
    tokens
}

/// The free text spanned by `tokens` (consecutive tokens of `line`): the raw text between the
/// first and the last, so spacing and inner quotes survive; a single quoted word loses its quotes.
pub fn text_of(line: &str, tokens: &[Token]) -> String {
    match tokens {
        [] => String::new(),
        [one] => one.value.trim().to_string(),
        [first, .., last] => line[first.start..last.end].trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(line: &str) -> Vec<String> {
        tokenize(line).into_iter().map(|t| t.value).collect()
    }

    #[test]
    fn quotes_group_words() {
        assert_eq!(
            values(r#"incident declare "DB is down" --sev 1"#),
            ["incident", "declare", "DB is down", "--sev", "1"]
        );
        assert_eq!(values("role 'incident lead' @bob"), ["role", "incident lead", "@bob"]);
        assert_eq!(values("“smart quotes” ok"), ["smart quotes", "ok"]);
    }

    #[test]
    fn apostrophes_are_letters() {
        assert_eq!(
            values("we're restarting, it's fine"),
            ["we're", "restarting,", "it's", "fine"]
        );
        assert_eq!(values("don't 'panic"), ["don't", "'panic"]);
        assert_eq!(values("say \"unterminated"), ["say", "\"unterminated"]);
    }

    #[test]
    fn text_keeps_spacing_and_inner_quotes() {
        let line = r#"timeline 13:25 restarted   "nightly" docker"#;
        let toks = tokenize(line);
        assert_eq!(text_of(line, &toks[2..]), r#"restarted   "nightly" docker"#);
        let line = r#"timeline "restarted docker""#;
        assert_eq!(text_of(line, &tokenize(line)[1..]), "restarted docker");
    }

    #[test]
    fn empty_and_whitespace() {
        assert!(tokenize("   ").is_empty());
        assert_eq!(values("  a\t b  "), ["a", "b"]);
    }
}
