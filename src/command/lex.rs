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

// Counts the characters the tokenizer visits, so tests can check that its work is linear.
#[cfg(test)]
thread_local! {
    static STEPS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

#[inline]
fn step() {
    #[cfg(test)]
    STEPS.with(|s| s.set(s.get() + 1));
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

/// Valid closing positions of one kind of quote, consumed front to back: a quote at index `j`
/// closes a group when it is followed by whitespace or the end of the line.
struct Closers {
    close: char,
    at: Vec<usize>,
    next: usize,
}

impl Closers {
    /// The first closing position after `i`. Openings are looked up in increasing order, so
    /// positions at or before `i` are never needed again: each is passed over once in total.
    fn after(&mut self, i: usize) -> Option<usize> {
        while self.at.get(self.next).is_some_and(|&j| j <= i) {
            step();
            self.next += 1;
        }
        self.at.get(self.next).copied()
    }
}

/// Split `line` into tokens. A quote opens a group only at the start of a word, and closes it
/// only when followed by whitespace or the end of the line; otherwise it is an ordinary character.
/// Linear in the length of the line: where each quote kind can close is found in one pass
/// first, so an opening quote without a closing one never rescans the rest of the line.
pub fn tokenize(line: &str) -> Vec<Token> {
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let mut closers: Vec<Closers> = ['"', '\'', '”', '’']
        .into_iter()
        .map(|close| Closers {
            close,
            at: Vec::new(),
            next: 0,
        })
        .collect();
    for (j, &(_, c)) in chars.iter().enumerate() {
        step();
        let next_is_break = chars.get(j + 1).is_none_or(|(_, n)| n.is_whitespace());
        if let Some(k) = closers.iter_mut().find(|k| k.close == c).filter(|_| next_is_break) {
            k.at.push(j);
        }
    }
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        step();
        let (start, c) = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let found = closing_quote(c).and_then(|close| {
            let k = closers.iter_mut().find(|k| k.close == close)?;
            k.after(i)
        });
        if let Some(j) = found {
            let inner_start = start + c.len_utf8();
            let (close_at, close) = chars[j];
            tokens.push(Token {
                value: line[inner_start..close_at].to_string(),
                start,
                end: close_at + close.len_utf8(),
            });
            i = j + 1;
            continue;
        }
        // Plain word up to the next whitespace.
        let mut j = i;
        while j < chars.len() && !chars[j].1.is_whitespace() {
            step();
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

    /// The tokenizer as it was before it was made linear (it rescanned the rest of the line
    /// for every opening quote): the reference its results must keep matching.
    fn reference(line: &str) -> Vec<Token> {
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
                let found = (i + 1..chars.len())
                    .find(|&j| chars[j].1 == close && chars.get(j + 1).is_none_or(|(_, n)| n.is_whitespace()));
                if let Some(j) = found {
                    tokens.push(Token {
                        value: line[start + c.len_utf8()..chars[j].0].to_string(),
                        start,
                        end: chars[j].0 + close.len_utf8(),
                    });
                    i = j + 1;
                    continue;
                }
            }
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

    fn steps_for(line: &str) -> usize {
        STEPS.with(|s| s.set(0));
        tokenize(line);
        STEPS.with(|s| s.get())
    }

    #[test]
    fn work_is_linear_in_the_line_length() {
        for unit in ["\"a ", "'a ", "“a ", "‘a ", "\"a\"a ", "\"a '", "\" ", "a"] {
            for n in [1_000, 20_000] {
                let line = unit.repeat(n);
                let chars = line.chars().count();
                let steps = steps_for(&line);
                // One pass to find closing quotes, one over the words, and each closing
                // position skipped at most once: a small constant per character.
                assert!(
                    steps <= 4 * chars + 4,
                    "{unit:?} x{n}: {steps} steps for {chars} characters"
                );
            }
        }
        // The 60 KB line from the report, whole: tokenized with linear work.
        let line = format!("timeline {}", "\"a ".repeat(20_000));
        assert!(steps_for(&line) <= 4 * line.chars().count());
        assert_eq!(tokenize(&line).len(), 20_001);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2_000))]
        /// Lines built from quotes, apostrophes, spaces and letters tokenize exactly as before.
        #[test]
        fn same_tokens_as_before(parts in proptest::collection::vec(
            proptest::sample::select(vec!["\"", "'", "“", "”", "‘", "’", " ", "\t", "\n", "a", "bc", "we're", "é", "  "]),
            0..40,
        )) {
            let line = parts.concat();
            proptest::prop_assert_eq!(tokenize(&line), reference(&line));
        }
    }
}
