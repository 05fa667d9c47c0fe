//! User text split into what it is made of: runs of prose lines and fenced code blocks
//! (```` ``` ```` or `~~~`, as people paste commands and log lines), for the renderers to
//! show each as text of its kind.

/// A part of a user text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Lines of prose (line breaks normalised, no `\r`).
    Prose(Vec<&'a str>),
    /// The lines of a fenced block, without its fences, and the language named after the
    /// opening fence when it is a plain word (`sh`, `console`, `c++`).
    Code { lang: Option<&'a str>, lines: Vec<&'a str> },
}

/// An opening fence: at least three backticks or tildes, then nothing or a language name
/// (anything else after the fence is kept as prose, so no text is lost to an info string).
/// Returns the fence character, its length, the indentation before it and the language.
fn opening(line: &str) -> Option<(char, usize, usize, Option<&str>)> {
    let trimmed = line.trim_start();
    let c = trimmed.chars().next().filter(|c| matches!(c, '`' | '~'))?;
    let n = trimmed.chars().take_while(|&x| x == c).count();
    let info = trimmed[n..].trim();
    let lang = lang(info);
    (n >= 3 && (info.is_empty() || lang.is_some())).then_some((c, n, line.len() - trimmed.len(), lang))
}

fn closes(line: &str, c: char, n: usize) -> bool {
    let t = line.trim();
    t.chars().all(|x| x == c) && t.chars().count() >= n
}

/// A language name: one short plain word (no backtick, quote or space).
fn lang(info: &str) -> Option<&str> {
    (!info.is_empty()
        && info.len() <= 32
        && info
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '.' | '#')))
    .then_some(info)
}

/// Split `text` (with `\n`, `\r\n` or `\r` line breaks) into prose and fenced code. A fence
/// closes with a line of only its character, at least as many; left open, it runs to the end
/// of the text, as in CommonMark (a fence on the text's last line opens nothing: it is prose). The indentation of the opening fence is removed from the
/// lines of its block.
pub fn pieces(text: &str) -> Vec<Piece<'_>> {
    if !text.contains(['\n', '\r']) {
        return vec![Piece::Prose(vec![text])];
    }
    let mut out = Vec::new();
    let mut prose = Vec::new();
    let mut lines = text
        .split('\n')
        .flat_map(|l| l.strip_suffix('\r').unwrap_or(l).split('\r'))
        .peekable();
    while let Some(line) = lines.next() {
        let fence = opening(line).filter(|_| lines.peek().is_some());
        let Some((c, n, indent, lang)) = fence else {
            prose.push(line);
            continue;
        };
        if !prose.is_empty() {
            out.push(Piece::Prose(std::mem::take(&mut prose)));
        }
        let mut code = Vec::new();
        for l in lines.by_ref() {
            if closes(l, c, n) {
                break;
            }
            let strip = l.len() - l.trim_start_matches(' ').len();
            code.push(&l[strip.min(indent)..]);
        }
        out.push(Piece::Code { lang, lines: code });
    }
    if !prose.is_empty() {
        out.push(Piece::Prose(prose));
    }
    out
}

/// The longest run of backticks in `lines`.
pub fn longest_backtick_run(lines: &[&str]) -> usize {
    lines
        .iter()
        .flat_map(|l| l.split(|c| c != '`'))
        .map(str::len)
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_and_fenced_blocks_are_told_apart() {
        assert_eq!(pieces("one line"), [Piece::Prose(vec!["one line"])]);
        assert_eq!(pieces("a\r\nb\rc"), [Piece::Prose(vec!["a", "b", "c"])]);
        assert_eq!(
            pieces("ran:\n  ```sh\n  $ df -h\n    /dev/sda1\n  ```\nafter"),
            [
                Piece::Prose(vec!["ran:"]),
                Piece::Code {
                    lang: Some("sh"),
                    lines: vec!["$ df -h", "  /dev/sda1"]
                },
                Piece::Prose(vec!["after"]),
            ]
        );
        // A fence closes only with its own character, at least as long, and nothing after it.
        assert_eq!(
            pieces("~~~~\n```\n~~~ x\n~~~\nstill code\n~~~~~"),
            [Piece::Code {
                lang: None,
                lines: vec!["```", "~~~ x", "~~~", "still code"]
            }]
        );
        // Left open: code to the end. Backticks after backticks: not a fence.
        assert_eq!(
            pieces("```\nrm -rf /tmp/x"),
            [Piece::Code {
                lang: None,
                lines: vec!["rm -rf /tmp/x"]
            }]
        );
        assert_eq!(pieces("```a`b```"), [Piece::Prose(vec!["```a`b```"])]);
        assert_eq!(pieces("```sh"), [Piece::Prose(vec!["```sh"])]);
        assert_eq!(pieces("see:\n```"), [Piece::Prose(vec!["see:", "```"])]);
        // More than a language name after the fence: prose, nothing of it lost.
        assert_eq!(
            pieces("```\" onclick=x\nx\n~~~ wow ~~~"),
            [Piece::Prose(vec!["```\" onclick=x", "x", "~~~ wow ~~~"])]
        );
        assert_eq!(longest_backtick_run(&["a ``` b", "````"]), 4);
        assert_eq!(longest_backtick_run(&["plain"]), 0);
    }
}
