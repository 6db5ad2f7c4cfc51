//! A literal-only reader of Starlark, enough to read Bazel's pins.
//!
//! vouch needs two things from a `.bzl`, `WORKSPACE` or `MODULE.bazel`
//! file: the values of its top-level assignments (Envoy's
//! `REPOSITORY_LOCATIONS_SPEC = dict(...)`) and the arguments of every call
//! to a repository rule (`http_archive(name = ..., urls = [...])`), wherever
//! it is, including inside a `def`. It never runs the file.
//!
//! The lexer is complete for Starlark's lexical syntax (all string forms and
//! escapes, comments, line joining inside brackets and with `\`, `;`). The
//! expression parser accepts the whole expression grammar (conditionals,
//! lambdas, comprehensions, slices, every operator) so that valid files are
//! never refused, but it *evaluates* only literals: strings (with `+`
//! concatenation, `%` with `%s`/`%d`, and `.format(...)`), integers,
//! `True`/`False`/`None`, lists, tuples, dicts (`{...}` and `dict(k = v)`),
//! indexing a known dict or list, `Label("...")`, and identifiers naming
//! an earlier top-level assignment of the same file. Anything else is
//! [`Value::Unknown`], carrying a description of what it was, so that the
//! caller can say why a value could not be read; it is never an error.
//!
//! Statements are not parsed beyond what is needed: a top-level line
//! `NAME = expression` is an assignment (a later `NAME += ...` makes it
//! unknown; `NAME.update(...)` and item assignments are not seen), a
//! top-level `load(...)` can rename a rule, `def NAME(params):` opens a
//! body whose parameters are not globals, and every other line is only
//! searched for rule calls.
//!
//! Errors (an unterminated string, an unbalanced bracket, a malformed
//! expression where one is read) name their line. Nesting is capped at
//! [`MAX_NESTING`] levels and evaluation at [`BUDGET`] units per file
//! (string bytes and list elements), so no input can exhaust the stack or
//! memory: a hand-written parser was chosen over `starlark_syntax` for
//! exactly that (see docs/decisions.md).

use std::collections::{HashMap, HashSet};

/// The deepest bracket, unary-operator or conditional nesting read.
pub(crate) const MAX_NESTING: usize = 64;

/// The most units (string bytes, list and dict elements) one file's values
/// may expand to; past it, values are [`Value::Unknown`].
pub(crate) const BUDGET: usize = 16 << 20;

/// A value, as far as a literal-only reader can know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// `True` or `False`.
    Bool(bool),
    /// `None`.
    None,
    /// A list.
    List(Vec<Value>),
    /// A tuple.
    Tuple(Vec<Value>),
    /// A dict with string keys, in source order.
    Dict(Vec<(String, Value)>),
    /// A repository rule vouch reads (`http_archive`), by its own name:
    /// what an alias made with `load` or `use_repo_rule` stands for.
    Rule(String),
    /// Not a literal: what it was, for messages ("call to `select`").
    Unknown(String),
}

impl Value {
    /// A short description for messages: the value, or why it is unknown.
    pub(crate) fn describe(&self) -> String {
        match self {
            Value::Str(s) => format!("the string \"{}\"", crate::tree::excerpt(s)),
            Value::Int(i) => format!("the integer {i}"),
            Value::Bool(b) => format!("`{}`", if *b { "True" } else { "False" }),
            Value::None => "`None`".into(),
            Value::List(_) => "a list".into(),
            Value::Tuple(_) => "a tuple".into(),
            Value::Dict(_) => "a dict".into(),
            Value::Rule(r) => format!("the rule `{r}`"),
            Value::Unknown(why) => why.clone(),
        }
    }

    /// How many budget units a copy of this value costs.
    fn weight(&self) -> usize {
        match self {
            Value::Str(s) => s.len() + 1,
            Value::List(items) | Value::Tuple(items) => {
                items.iter().map(Value::weight).sum::<usize>() + 1
            }
            Value::Dict(entries) => {
                entries
                    .iter()
                    .map(|(k, v)| k.len() + v.weight())
                    .sum::<usize>()
                    + 1
            }
            Value::Rule(r) => r.len() + 1,
            Value::Unknown(why) => why.len() + 1,
            Value::Int(_) | Value::Bool(_) | Value::None => 1,
        }
    }
}

/// A syntax error, with the line it is on (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    /// The line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// One top-level `NAME = value`.
#[derive(Debug)]
pub(crate) struct Assignment {
    /// The name assigned.
    pub name: String,
    /// The line of the assignment.
    pub line: usize,
    /// The value, as read.
    pub value: Value,
}

/// One call to a repository rule.
#[derive(Debug)]
pub(crate) struct Call {
    /// The rule called, by its own name (`http_archive`), whatever alias
    /// the file used.
    pub rule: String,
    /// The line the call starts on.
    pub line: usize,
    /// Whether it is inside a `def` (a macro, whose arguments may be its
    /// parameters).
    pub in_def: bool,
    /// Its keyword arguments, in order.
    pub kwargs: Vec<(String, Value)>,
    /// Why some keyword arguments cannot be known: a `**kwargs` or
    /// `*args` that is not a literal.
    pub splat: Option<String>,
}

/// What a file declares.
#[derive(Debug, Default)]
pub(crate) struct Module {
    /// Its top-level assignments, in order.
    pub assignments: Vec<Assignment>,
    /// Its calls to the rules asked for, in order.
    pub calls: Vec<Call>,
}

/// Reads `text`: its top-level assignments, and every call to one of
/// `rules` (under its own name, under an alias made with `load` or
/// `use_repo_rule`, or through `maybe(rule, ...)`).
pub(crate) fn parse(text: &str, rules: &[&str]) -> Result<Module, SyntaxError> {
    let lines = lex(text)?;
    let mut budget = BUDGET;
    let mut globals: HashMap<String, (Value, usize)> = HashMap::new();
    let mut aliases: HashMap<String, String> = rules
        .iter()
        .map(|r| ((*r).to_string(), (*r).to_string()))
        .collect();
    let mut module = Module::default();
    let no_params = HashSet::new();

    // Pass 1: top-level assignments and loads, in order (each sees the
    // ones before it, as Starlark does).
    for line in lines.iter().filter(|l| l.top_level) {
        let t = &line.tokens;
        match (t.first().map(|x| &x.tok), t.get(1).map(|x| &x.tok)) {
            (Some(Tok::Ident(name)), Some(Tok::Op("="))) => {
                let env = Env {
                    globals: &globals,
                    params: &no_params,
                    aliases: &aliases,
                };
                let mut parser = Parser::new(&t[2..], t[0].line, &env, &mut budget);
                let value = parser.expression()?;
                parser.finish()?;
                if let Value::Rule(rule) = &value {
                    aliases.insert(name.clone(), rule.clone());
                }
                let weight = value.weight();
                globals.insert(name.clone(), (value.clone(), weight));
                module.assignments.push(Assignment {
                    name: name.clone(),
                    line: t[0].line,
                    value,
                });
            }
            (Some(Tok::Ident(name)), Some(Tok::Op(op)))
                if AUGMENTED.contains(op) && globals.contains_key(name) =>
            {
                let why = format!("`{name}`, changed by `{op}` on line {}", t[0].line);
                let value = Value::Unknown(why);
                let weight = value.weight();
                globals.insert(name.clone(), (value, weight));
            }
            (Some(Tok::Ident(load)), Some(Tok::Op("("))) if load == "load" => {
                let env = Env {
                    globals: &globals,
                    params: &no_params,
                    aliases: &aliases,
                };
                let mut parser = Parser::new(&t[2..], t[0].line, &env, &mut budget);
                let args = parser.arguments()?;
                parser.finish()?;
                for (local, remote) in args.named {
                    if let Value::Str(remote) = remote {
                        if rules.contains(&remote.as_str()) {
                            aliases.insert(local, remote);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    // Pass 2: every rule call, anywhere.
    let mut params: HashSet<String> = HashSet::new();
    let mut in_def = false;
    for line in &lines {
        let t = &line.tokens;
        if line.top_level {
            in_def = matches!(t.first(), Some(Token { tok: Tok::Ident(d), .. }) if d == "def");
            params = if in_def {
                def_params(t)
            } else {
                HashSet::new()
            };
        }
        for (i, token) in t.iter().enumerate() {
            let Tok::Ident(callee) = &token.tok else {
                continue;
            };
            let opens = matches!(
                t.get(i + 1),
                Some(Token {
                    tok: Tok::Op("("),
                    ..
                })
            );
            let attribute_or_def = i > 0
                && matches!(&t[i - 1].tok, Tok::Op(".") | Tok::Ident(_))
                && !matches!(&t[i - 1].tok, Tok::Ident(k) if is_keyword_before_expr(k));
            if !opens || attribute_or_def || params.contains(callee) {
                continue;
            }
            let direct = aliases.get(callee).cloned();
            if direct.is_none() && callee != "maybe" {
                continue;
            }
            let env = Env {
                globals: &globals,
                params: &params,
                aliases: &aliases,
            };
            let mut parser = Parser::new(&t[i + 2..], token.line, &env, &mut budget);
            let args = parser.arguments()?;
            let rule = match direct {
                Some(rule) => rule,
                None => match args.positional.first() {
                    Some(Value::Rule(rule)) => rule.clone(),
                    _ => continue, // `maybe` of something else
                },
            };
            module.calls.push(Call {
                rule,
                line: token.line,
                in_def,
                kwargs: args.named,
                splat: args.splat,
            });
        }
    }
    Ok(module)
}

/// One top-level statement of a `MODULE.bazel` file: a call of a (dotted)
/// name, possibly assigned (`go_deps = use_extension(...)`,
/// `go_deps.module(...)`, `bazel_dep(...)`).
#[derive(Debug)]
pub(crate) struct Statement {
    /// The line it starts on.
    pub line: usize,
    /// The name it is assigned to, if any.
    pub assigned: Option<String>,
    /// The callee, split at dots: `["go_deps", "module"]`.
    pub callee: Vec<String>,
    /// Its positional arguments.
    pub positional: Vec<Value>,
    /// Its keyword arguments, in order.
    pub kwargs: Vec<(String, Value)>,
    /// Why some arguments cannot be known (`*args`, `**kwargs`).
    pub splat: Option<String>,
}

/// Reads a `MODULE.bazel` file (or a file it `include`s): Bazel allows
/// there only top-level calls and assignments (no `def`, `load`, `if` or
/// `for`), so every logical line must be `[NAME =] a.b.c(args)` or
/// `NAME = expression`; anything else is an error naming its line, as
/// Bazel refuses it. Assignments of literals are visible to later
/// arguments, as in [`parse`].
pub(crate) fn statements(text: &str) -> Result<Vec<Statement>, SyntaxError> {
    let lines = lex(text)?;
    let mut budget = BUDGET;
    let mut globals: HashMap<String, (Value, usize)> = HashMap::new();
    let aliases = HashMap::new();
    let no_params = HashSet::new();
    let mut out = Vec::new();
    for line in &lines {
        let t = &line.tokens;
        let first = t.first().map_or(1, |x| x.line);
        if !line.top_level {
            return error(first, "unexpected indentation");
        }
        let (assigned, rest) = match (t.first().map(|x| &x.tok), t.get(1).map(|x| &x.tok)) {
            (Some(Tok::Ident(name)), Some(Tok::Op("="))) => (Some(name.clone()), &t[2..]),
            _ => (None, &t[..]),
        };
        // A dotted name followed by `(`.
        let mut callee = Vec::new();
        let mut i = 0;
        while let Some(Token {
            tok: Tok::Ident(word),
            ..
        }) = rest.get(i)
        {
            callee.push(word.clone());
            match rest.get(i + 1).map(|x| &x.tok) {
                Some(Tok::Op(".")) => i += 2,
                _ => break,
            }
        }
        let is_call = !callee.is_empty()
            && matches!(rest.get(i + 1).map(|x| &x.tok), Some(Tok::Op("(")))
            && !callee.iter().any(|w| {
                matches!(
                    w.as_str(),
                    "def" | "load" | "if" | "for" | "while" | "return" | "lambda"
                )
            });
        let env = Env {
            globals: &globals,
            params: &no_params,
            aliases: &aliases,
        };
        if is_call {
            let mut parser = Parser::new(&rest[i + 2..], first, &env, &mut budget);
            let args = parser.arguments()?;
            parser.finish()?;
            if let Some(name) = &assigned {
                let value = unknown(format!("a call to `{}`", callee.join(".")));
                globals.insert(name.clone(), (value, 1));
            }
            out.push(Statement {
                line: first,
                assigned,
                callee,
                positional: args.positional,
                kwargs: args.named,
                splat: args.splat,
            });
            continue;
        }
        match (assigned, t.first().map(|x| &x.tok)) {
            (Some(name), _) => {
                let mut parser = Parser::new(rest, first, &env, &mut budget);
                let value = parser.expression()?;
                parser.finish()?;
                let weight = value.weight();
                globals.insert(name, (value, weight));
            }
            (None, Some(Tok::Ident(word)))
                if matches!(
                    word.as_str(),
                    "def"
                        | "load"
                        | "if"
                        | "for"
                        | "while"
                        | "return"
                        | "class"
                        | "import"
                        | "pass"
                        | "break"
                        | "continue"
                ) =>
            {
                return error(
                    first,
                    format!(
                        "`{word}` is not allowed here: a MODULE.bazel file holds only calls, \
                         assignments and expressions"
                    ),
                )
            }
            // Any other expression (a docstring, a comprehension of calls):
            // read for its syntax, its value unused.
            (None, _) => {
                let mut parser = Parser::new(rest, first, &env, &mut budget);
                parser.expression()?;
                parser.finish()?;
            }
        }
    }
    Ok(out)
}

/// Augmented assignment operators.
const AUGMENTED: [&str; 11] = [
    "+=", "-=", "*=", "/=", "//=", "%=", "&=", "|=", "^=", "<<=", ">>=",
];

/// Keywords after which an identifier starts an expression, so that
/// `return http_archive(...)` or `if x: http_archive(...)` is a call
/// while `def http_archive(...)` is not.
fn is_keyword_before_expr(word: &str) -> bool {
    matches!(
        word,
        "return" | "if" | "elif" | "else" | "and" | "or" | "not" | "in" | "lambda"
    )
}

/// The parameter names of a `def NAME(params):` line.
fn def_params(tokens: &[Token]) -> HashSet<String> {
    let mut names = HashSet::new();
    let mut depth = 0usize;
    for (i, token) in tokens.iter().enumerate() {
        match &token.tok {
            Tok::Op("(" | "[" | "{") => depth += 1,
            Tok::Op(")" | "]" | "}") => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    break;
                }
            }
            Tok::Ident(name) if depth == 1 => {
                let before = i.checked_sub(1).map(|j| &tokens[j].tok);
                if matches!(before, Some(Tok::Op("(" | "," | "*" | "**"))) {
                    names.insert(name.clone());
                }
            }
            _ => {}
        }
    }
    names
}

// ---------------------------------------------------------------- lexer --

/// A token.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// An identifier or keyword.
    Ident(String),
    /// A string or bytes literal, unescaped.
    Str(String),
    /// An integer literal; `None` when it does not fit an `i64`.
    Int(Option<i64>),
    /// A float literal.
    Float,
    /// An operator or punctuation.
    Op(&'static str),
}

/// A token and its line.
#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    line: usize,
}

/// A logical line: its tokens, and whether it starts at column 0.
#[derive(Debug)]
struct Line {
    tokens: Vec<Token>,
    top_level: bool,
}

/// Operators, longest first.
const OPERATORS: [&str; 42] = [
    "//=", "<<=", ">>=", "**", "//", "<<", ">>", "==", "!=", "<=", ">=", "+=", "-=", "*=", "/=",
    "%=", "&=", "|=", "^=", "->", "+", "-", "*", "/", "%", "&", "|", "^", "~", "<", ">", "=", ".",
    ",", ";", ":", "(", ")", "[", "]", "{", "}",
];

fn error<T>(line: usize, message: impl Into<String>) -> Result<T, SyntaxError> {
    Err(SyntaxError {
        line,
        message: message.into(),
    })
}

/// Splits `text` into logical lines of tokens.
fn lex(text: &str) -> Result<Vec<Line>, SyntaxError> {
    let bytes = text.as_bytes();
    let mut lines = Vec::new();
    let mut current: Vec<Token> = Vec::new();
    let mut top_level = true;
    let mut at_line_start = true;
    let mut brackets: Vec<(u8, usize)> = Vec::new();
    let mut line = 1usize;
    let mut i = 0usize;
    let finish = |current: &mut Vec<Token>, lines: &mut Vec<Line>, top_level: bool| {
        if !current.is_empty() {
            lines.push(Line {
                tokens: std::mem::take(current),
                top_level,
            });
        }
    };
    while i < bytes.len() {
        let b = bytes[i];
        if at_line_start && brackets.is_empty() && current.is_empty() {
            // Indentation of a new logical line.
            let mut j = i;
            while j < bytes.len() && matches!(bytes[j], b' ' | b'\t' | b'\x0c') {
                j += 1;
            }
            top_level = j == i;
            at_line_start = false;
            i = j;
            continue;
        }
        match b {
            b'\n' => {
                line += 1;
                i += 1;
                if brackets.is_empty() {
                    finish(&mut current, &mut lines, top_level);
                    at_line_start = true;
                }
            }
            b' ' | b'\t' | b'\r' | b'\x0c' => i += 1,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'\\' => {
                // Line joining.
                let rest = &bytes[i + 1..];
                if rest.starts_with(b"\n") {
                    i += 2;
                } else if rest.starts_with(b"\r\n") {
                    i += 3;
                } else {
                    return error(
                        line,
                        "`\\` outside a string is only allowed at a line's end",
                    );
                }
                line += 1;
            }
            b';' if brackets.is_empty() => {
                finish(&mut current, &mut lines, top_level);
                i += 1;
            }
            b'"' | b'\'' => {
                let (s, next, lines_spanned) = string(bytes, i, false, line)?;
                current.push(Token {
                    tok: Tok::Str(s),
                    line,
                });
                line += lines_spanned;
                i = next;
            }
            b'0'..=b'9' => {
                let (tok, next) = number(text, i, line)?;
                current.push(Token { tok, line });
                i = next;
            }
            b'.' if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                let (tok, next) = number(text, i, line)?;
                current.push(Token { tok, line });
                i = next;
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                let word = &text[start..i];
                let prefix = matches!(word.to_ascii_lowercase().as_str(), "r" | "b" | "rb" | "br");
                if prefix && matches!(bytes.get(i), Some(b'"' | b'\'')) {
                    let raw = word.contains(['r', 'R']);
                    let (s, next, lines_spanned) = string(bytes, i, raw, line)?;
                    current.push(Token {
                        tok: Tok::Str(s),
                        line,
                    });
                    line += lines_spanned;
                    i = next;
                } else {
                    current.push(Token {
                        tok: Tok::Ident(word.to_string()),
                        line,
                    });
                }
            }
            _ => {
                let Some(op) = OPERATORS
                    .iter()
                    .find(|op| bytes[i..].starts_with(op.as_bytes()))
                else {
                    let c = text.get(i..).and_then(|r| r.chars().next()).unwrap_or('?');
                    return error(line, format!("unexpected character {c:?}"));
                };
                match *op {
                    "(" | "[" | "{" => {
                        if brackets.len() >= MAX_NESTING {
                            return error(
                                line,
                                format!("brackets nested deeper than {MAX_NESTING} levels"),
                            );
                        }
                        brackets.push((op.as_bytes()[0], line));
                    }
                    ")" | "]" | "}" => {
                        let want = match *op {
                            ")" => b'(',
                            "]" => b'[',
                            _ => b'{',
                        };
                        match brackets.pop() {
                            Some((open, _)) if open == want => {}
                            Some((open, opened)) => {
                                return error(
                                    line,
                                    format!(
                                        "`{op}` does not close the `{}` opened on line {opened}",
                                        char::from(open)
                                    ),
                                )
                            }
                            None => return error(line, format!("`{op}` closes nothing")),
                        }
                    }
                    _ => {}
                }
                current.push(Token {
                    tok: Tok::Op(op),
                    line,
                });
                i += op.len();
            }
        }
    }
    if let Some((open, opened)) = brackets.last() {
        return error(
            *opened,
            format!("the `{}` opened here is never closed", char::from(*open)),
        );
    }
    finish(&mut current, &mut lines, top_level);
    Ok(lines)
}

/// Reads the string literal whose opening quote is at `start`. Returns its
/// value, the index after it, and how many newlines it spans.
fn string(
    bytes: &[u8],
    start: usize,
    raw: bool,
    line: usize,
) -> Result<(String, usize, usize), SyntaxError> {
    let quote = bytes[start];
    let triple = bytes[start..].starts_with(&[quote, quote, quote]);
    let mut i = start + if triple { 3 } else { 1 };
    let mut out: Vec<u8> = Vec::new();
    let mut newlines = 0;
    loop {
        let Some(&b) = bytes.get(i) else {
            return error(line, "unterminated string");
        };
        if b == quote && (!triple || bytes[i..].starts_with(&[quote, quote, quote])) {
            i += if triple { 3 } else { 1 };
            break;
        }
        match b {
            b'\n' if !triple => return error(line, "unterminated string"),
            b'\n' => {
                newlines += 1;
                out.push(b);
                i += 1;
            }
            b'\\' => {
                let Some(&next) = bytes.get(i + 1) else {
                    return error(line, "unterminated string");
                };
                if next == b'\n' {
                    newlines += 1;
                }
                if raw {
                    // A raw string keeps the backslash; it still escapes
                    // the quote for the purpose of finding the end.
                    out.extend_from_slice(&[b'\\', next]);
                    i += 2;
                    continue;
                }
                i += 2;
                let simple = match next {
                    b'\n' => Some(None),
                    b'\\' => Some(Some(b'\\')),
                    b'\'' => Some(Some(b'\'')),
                    b'"' => Some(Some(b'"')),
                    b'n' => Some(Some(b'\n')),
                    b't' => Some(Some(b'\t')),
                    b'r' => Some(Some(b'\r')),
                    b'a' => Some(Some(0x07)),
                    b'b' => Some(Some(0x08)),
                    b'f' => Some(Some(0x0c)),
                    b'v' => Some(Some(0x0b)),
                    _ => None,
                };
                if let Some(byte) = simple {
                    out.extend(byte);
                    continue;
                }
                let (digits, radix, max) = match next {
                    b'0'..=b'7' => {
                        i -= 1;
                        (3, 8, 3)
                    }
                    b'x' => (2, 16, 2),
                    b'u' => (4, 16, 4),
                    b'U' => (8, 16, 8),
                    _ => return error(line, format!("invalid escape `\\{}`", char::from(next))),
                };
                let mut end = i;
                while end < bytes.len() && end - i < max && (bytes[end] as char).is_digit(radix) {
                    end += 1;
                }
                if radix == 16 && end - i != digits {
                    return error(
                        line,
                        format!("`\\{}` needs {digits} hex digits", char::from(next)),
                    );
                }
                let code = std::str::from_utf8(&bytes[i..end])
                    .ok()
                    .and_then(|d| u32::from_str_radix(d, radix).ok())
                    .and_then(char::from_u32);
                let Some(c) = code else {
                    return error(line, "escape is not a valid character");
                };
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                i = end;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    match String::from_utf8(out) {
        Ok(s) => Ok((s, i, newlines)),
        Err(_) => error(line, "string is not valid UTF-8"),
    }
}

/// Reads the number starting at `start`.
fn number(text: &str, start: usize, line: usize) -> Result<(Tok, usize), SyntaxError> {
    let bytes = text.as_bytes();
    let mut i = start;
    while i < bytes.len()
        && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.' || bytes[i] == b'_')
    {
        // An exponent's sign belongs to the number.
        if matches!(bytes[i], b'e' | b'E')
            && !text[start..].starts_with("0x")
            && !text[start..].starts_with("0X")
            && matches!(bytes.get(i + 1), Some(b'+' | b'-'))
        {
            i += 1;
        }
        i += 1;
    }
    let literal = &text[start..i];
    let lower = literal.to_ascii_lowercase();
    let (digits, radix) = match lower.get(..2) {
        Some("0x") => (&lower[2..], 16),
        Some("0o") => (&lower[2..], 8),
        Some("0b") => (&lower[2..], 2),
        _ => (lower.as_str(), 10),
    };
    if radix == 10 && (lower.contains('.') || lower.contains('e')) {
        return match lower.parse::<f64>() {
            Ok(_) => Ok((Tok::Float, i)),
            Err(_) => error(
                line,
                format!("invalid number `{}`", crate::tree::excerpt(literal)),
            ),
        };
    }
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return error(
            line,
            format!("invalid number `{}`", crate::tree::excerpt(literal)),
        );
    }
    Ok((Tok::Int(i64::from_str_radix(digits, radix).ok()), i))
}

// --------------------------------------------------------------- parser --

/// What identifiers mean where an expression is read.
struct Env<'a> {
    /// Top-level assignments so far, with their weights.
    globals: &'a HashMap<String, (Value, usize)>,
    /// Parameters of the enclosing `def`: not globals.
    params: &'a HashSet<String>,
    /// Names that stand for a rule vouch reads.
    aliases: &'a HashMap<String, String>,
}

/// The arguments of a call.
#[derive(Default)]
struct Args {
    positional: Vec<Value>,
    named: Vec<(String, Value)>,
    /// Why some arguments cannot be known (`*args`, `**kwargs`).
    splat: Option<String>,
}

/// Reads one expression from a logical line's tokens, evaluating literals.
struct Parser<'a> {
    tokens: &'a [Token],
    pos: usize,
    /// The line of the last token read, for errors at the end.
    line: usize,
    env: &'a Env<'a>,
    depth: usize,
    budget: &'a mut usize,
}

/// Binary operators below `not`, with their precedence (higher binds
/// tighter).
fn binary_precedence(op: &str) -> Option<u8> {
    Some(match op {
        "|" => 1,
        "^" => 2,
        "&" => 3,
        "<<" | ">>" => 4,
        "+" | "-" => 5,
        "*" | "/" | "//" | "%" => 6,
        _ => return None,
    })
}

fn unknown(why: impl Into<String>) -> Value {
    Value::Unknown(why.into())
}

impl<'a> Parser<'a> {
    fn new(tokens: &'a [Token], line: usize, env: &'a Env<'a>, budget: &'a mut usize) -> Self {
        Parser {
            tokens,
            pos: 0,
            line,
            env,
            depth: 0,
            budget,
        }
    }

    fn peek(&self) -> Option<&'a Tok> {
        self.tokens.get(self.pos).map(|t| &t.tok)
    }

    fn peek_at(&self, offset: usize) -> Option<&'a Tok> {
        self.tokens.get(self.pos + offset).map(|t| &t.tok)
    }

    fn advance(&mut self) -> Option<&'a Tok> {
        let token = self.tokens.get(self.pos)?;
        self.line = token.line;
        self.pos += 1;
        Some(&token.tok)
    }

    fn at_op(&self, op: &str) -> bool {
        matches!(self.peek(), Some(Tok::Op(o)) if *o == op)
    }

    fn at_word(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(w)) if w == word)
    }

    fn eat_op(&mut self, op: &str) -> bool {
        let found = self.at_op(op);
        if found {
            self.advance();
        }
        found
    }

    fn here(&self) -> usize {
        self.tokens.get(self.pos).map_or(self.line, |t| t.line)
    }

    fn unexpected<T>(&self, wanted: &str) -> Result<T, SyntaxError> {
        let found = match self.peek() {
            None => "the end of the line".to_string(),
            Some(Tok::Ident(w)) => format!("`{}`", crate::tree::excerpt(w)),
            Some(Tok::Str(_)) => "a string".to_string(),
            Some(Tok::Int(_) | Tok::Float) => "a number".to_string(),
            Some(Tok::Op(op)) => format!("`{op}`"),
        };
        error(self.here(), format!("expected {wanted}, found {found}"))
    }

    fn expect_op(&mut self, op: &str) -> Result<(), SyntaxError> {
        if self.eat_op(op) {
            Ok(())
        } else {
            self.unexpected(&format!("`{op}`"))
        }
    }

    /// Fails unless every token has been read.
    fn finish(&self) -> Result<(), SyntaxError> {
        if self.pos < self.tokens.len() {
            return self.unexpected("the end of the statement");
        }
        Ok(())
    }

    /// Charges `units` to the file's budget; false when it is spent.
    fn charge(&mut self, units: usize) -> bool {
        match self.budget.checked_sub(units) {
            Some(left) => {
                *self.budget = left;
                true
            }
            None => {
                *self.budget = 0;
                false
            }
        }
    }

    fn over_budget() -> Value {
        unknown(format!(
            "a value too large to expand (over {BUDGET} bytes and elements)"
        ))
    }

    fn enter(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return error(
                self.here(),
                format!("expression nested deeper than {MAX_NESTING} levels"),
            );
        }
        Ok(())
    }

    /// `Test {, Test} [,]`: a tuple when there is a comma.
    fn expression(&mut self) -> Result<Value, SyntaxError> {
        let first = self.test()?;
        if !self.at_op(",") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.eat_op(",") {
            if self.starts_expression() {
                items.push(self.test()?);
            } else {
                break;
            }
        }
        Ok(Value::Tuple(items))
    }

    fn starts_expression(&self) -> bool {
        match self.peek() {
            None => false,
            Some(Tok::Op(op)) => matches!(*op, "(" | "[" | "{" | "-" | "+" | "~"),
            Some(Tok::Ident(w)) => {
                !matches!(w.as_str(), "for" | "if" | "else" | "in" | "and" | "or")
            }
            Some(_) => true,
        }
    }

    /// A full expression: conditional, lambda, or below.
    fn test(&mut self) -> Result<Value, SyntaxError> {
        self.enter()?;
        let value = if self.at_word("lambda") {
            self.advance();
            self.parameters(":")?;
            self.expect_op(":")?;
            self.test()?;
            unknown("a lambda")
        } else {
            let value = self.or_test()?;
            if self.at_word("if") {
                self.advance();
                let condition = self.or_test()?;
                if !self.at_word("else") {
                    return self.unexpected("`else`");
                }
                self.advance();
                let otherwise = self.test()?;
                match condition {
                    Value::Bool(true) => value,
                    Value::Bool(false) => otherwise,
                    _ => unknown("a conditional expression"),
                }
            } else {
                value
            }
        };
        self.depth -= 1;
        Ok(value)
    }

    /// Lambda or def parameters up to `end`: `a, b = 1, *args, **kwargs`.
    fn parameters(&mut self, end: &str) -> Result<(), SyntaxError> {
        while !self.at_op(end) {
            if self.eat_op("**") || self.eat_op("*") {
                if matches!(self.peek(), Some(Tok::Ident(_))) {
                    self.advance();
                }
            } else if let Some(Tok::Ident(_)) = self.peek() {
                self.advance();
                if self.eat_op("=") {
                    self.test()?;
                }
            } else {
                return self.unexpected("a parameter");
            }
            if !self.eat_op(",") {
                break;
            }
        }
        Ok(())
    }

    fn or_test(&mut self) -> Result<Value, SyntaxError> {
        let mut value = self.and_test()?;
        while self.at_word("or") {
            self.advance();
            self.and_test()?;
            value = unknown("an `or` expression");
        }
        Ok(value)
    }

    fn and_test(&mut self) -> Result<Value, SyntaxError> {
        let mut value = self.not_test()?;
        while self.at_word("and") {
            self.advance();
            self.not_test()?;
            value = unknown("an `and` expression");
        }
        Ok(value)
    }

    fn not_test(&mut self) -> Result<Value, SyntaxError> {
        if self.at_word("not") {
            self.advance();
            self.enter()?;
            let value = self.not_test()?;
            self.depth -= 1;
            return Ok(match value {
                Value::Bool(b) => Value::Bool(!b),
                _ => unknown("a `not` expression"),
            });
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Value, SyntaxError> {
        let mut value = self.binary(1)?;
        loop {
            let is_comparison = match self.peek() {
                Some(Tok::Op(op)) => matches!(*op, "==" | "!=" | "<" | ">" | "<=" | ">="),
                Some(Tok::Ident(w)) if w == "in" => true,
                Some(Tok::Ident(w)) if w == "not" => {
                    matches!(self.peek_at(1), Some(Tok::Ident(n)) if n == "in")
                }
                _ => false,
            };
            if !is_comparison {
                return Ok(value);
            }
            if self.at_word("not") {
                self.advance();
            }
            self.advance();
            self.binary(1)?;
            value = unknown("a comparison");
        }
    }

    /// Binary operators of precedence `min` and above, left-associative,
    /// by precedence climbing (a long `a + b + c ...` chain is a loop, not
    /// a recursion).
    fn binary(&mut self, min: u8) -> Result<Value, SyntaxError> {
        let mut value = self.unary()?;
        loop {
            let (op, precedence) = match self.peek() {
                Some(Tok::Op(op)) => match binary_precedence(op) {
                    Some(p) if p >= min => (*op, p),
                    _ => return Ok(value),
                },
                _ => return Ok(value),
            };
            self.advance();
            let right = self.binary(precedence + 1)?;
            value = self.apply(op, value, right);
        }
    }

    fn apply(&mut self, op: &str, left: Value, right: Value) -> Value {
        match (op, left, right) {
            (_, Value::Unknown(why), _) | (_, _, Value::Unknown(why)) => Value::Unknown(why),
            ("+", Value::Str(mut a), Value::Str(b)) => {
                if !self.charge(b.len()) {
                    return Self::over_budget();
                }
                a.push_str(&b);
                Value::Str(a)
            }
            ("+", Value::List(mut a), Value::List(b)) => {
                if !self.charge(b.len()) {
                    return Self::over_budget();
                }
                a.extend(b);
                Value::List(a)
            }
            ("+", Value::Tuple(mut a), Value::Tuple(b)) => {
                if !self.charge(b.len()) {
                    return Self::over_budget();
                }
                a.extend(b);
                Value::Tuple(a)
            }
            ("+", Value::Int(a), Value::Int(b)) => a
                .checked_add(b)
                .map_or_else(|| unknown("an integer overflow"), Value::Int),
            ("%", Value::Str(template), args) => {
                let args = match args {
                    Value::Tuple(items) => items,
                    other => vec![other],
                };
                match percent(&template, &args) {
                    Ok(s) if self.charge(s.len()) => Value::Str(s),
                    Ok(_) => Self::over_budget(),
                    Err(why) => unknown(why),
                }
            }
            (op, a, b) => unknown(format!("`{op}` of {} and {}", a.describe(), b.describe())),
        }
    }

    fn unary(&mut self) -> Result<Value, SyntaxError> {
        let op = match self.peek() {
            Some(Tok::Op(op @ ("-" | "+" | "~"))) => *op,
            _ => return self.primary(),
        };
        self.advance();
        self.enter()?;
        let value = self.unary()?;
        self.depth -= 1;
        Ok(match (op, value) {
            ("-", Value::Int(i)) => i
                .checked_neg()
                .map_or_else(|| unknown("an integer overflow"), Value::Int),
            ("+", Value::Int(i)) => Value::Int(i),
            (_, Value::Unknown(why)) => Value::Unknown(why),
            (op, _) => unknown(format!("unary `{op}`")),
        })
    }

    /// An operand and its suffixes: `.name`, `(args)`, `[index]`.
    fn primary(&mut self) -> Result<Value, SyntaxError> {
        let mut name: Option<&'a str> = None;
        let mut value = match self.advance() {
            Some(Tok::Ident(word)) => {
                name = Some(word.as_str());
                self.identifier(word)
            }
            Some(Tok::Str(s)) => Value::Str(s.clone()),
            Some(Tok::Int(Some(i))) => Value::Int(*i),
            Some(Tok::Int(None)) => unknown("an integer too large for vouch"),
            Some(Tok::Float) => unknown("a float"),
            Some(Tok::Op("(")) => self.parenthesised()?,
            Some(Tok::Op("[")) => self.list()?,
            Some(Tok::Op("{")) => self.dict()?,
            _ => {
                self.pos = self.pos.saturating_sub(1);
                return self.unexpected("an expression");
            }
        };
        loop {
            if self.eat_op(".") {
                let Some(Tok::Ident(attribute)) = self.advance() else {
                    return self.unexpected("a name after `.`");
                };
                if self.eat_op("(") {
                    let args = self.arguments()?;
                    value = self.method(value, attribute, args);
                } else {
                    value = unknown(format!("the attribute `.{attribute}`"));
                }
                name = None;
            } else if self.eat_op("(") {
                let args = self.arguments()?;
                value = self.call(name, value, args);
                name = None;
            } else if self.eat_op("[") {
                let index = self.subscript()?;
                value = match (value, index) {
                    (Value::Unknown(why), _) | (_, Value::Unknown(why)) => Value::Unknown(why),
                    (Value::Dict(entries), Value::Str(key)) => {
                        match entries.into_iter().find(|(k, _)| *k == key) {
                            Some((_, v)) => v,
                            None => unknown(format!("the missing key {key:?}")),
                        }
                    }
                    (Value::List(items) | Value::Tuple(items), Value::Int(i)) => {
                        let len = items.len() as i64;
                        let at = if i < 0 { i + len } else { i };
                        usize::try_from(at)
                            .ok()
                            .and_then(|at| items.into_iter().nth(at))
                            .unwrap_or_else(|| unknown(format!("the index {i}, out of range")))
                    }
                    _ => unknown("an index or slice"),
                };
                name = None;
            } else {
                return Ok(value);
            }
        }
    }

    fn identifier(&mut self, word: &str) -> Value {
        match word {
            "True" => return Value::Bool(true),
            "False" => return Value::Bool(false),
            "None" => return Value::None,
            _ => {}
        }
        if self.env.params.contains(word) {
            return unknown(format!("`{word}`, a parameter of the enclosing function"));
        }
        if let Some((value, weight)) = self.env.globals.get(word) {
            if !self.charge(*weight) {
                return Self::over_budget();
            }
            return value.clone();
        }
        if let Some(rule) = self.env.aliases.get(word) {
            return Value::Rule(rule.clone());
        }
        unknown(format!(
            "`{word}`, which is not assigned earlier at the top level of this file"
        ))
    }

    /// After `(`: `()`, `(x)`, a tuple, or a generator expression.
    fn parenthesised(&mut self) -> Result<Value, SyntaxError> {
        if self.eat_op(")") {
            return Ok(Value::Tuple(Vec::new()));
        }
        let first = self.test()?;
        if self.at_word("for") {
            self.comprehension()?;
            self.expect_op(")")?;
            return Ok(unknown("a comprehension"));
        }
        if self.eat_op(")") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.eat_op(",") {
            if self.at_op(")") {
                break;
            }
            items.push(self.test()?);
        }
        self.expect_op(")")?;
        Ok(Value::Tuple(items))
    }

    /// After `[`: a list or a list comprehension.
    fn list(&mut self) -> Result<Value, SyntaxError> {
        let mut items = Vec::new();
        while !self.at_op("]") {
            items.push(self.test()?);
            if items.len() == 1 && self.at_word("for") {
                self.comprehension()?;
                self.expect_op("]")?;
                return Ok(unknown("a comprehension"));
            }
            if !self.eat_op(",") {
                break;
            }
        }
        self.expect_op("]")?;
        if !self.charge(items.len()) {
            return Ok(Self::over_budget());
        }
        Ok(Value::List(items))
    }

    /// After `{`: a dict or a dict comprehension.
    fn dict(&mut self) -> Result<Value, SyntaxError> {
        let mut entries = Vec::new();
        let mut bad_key: Option<Value> = None;
        while !self.at_op("}") {
            let key = self.test()?;
            self.expect_op(":")?;
            let value = self.test()?;
            if entries.is_empty() && bad_key.is_none() && self.at_word("for") {
                self.comprehension()?;
                self.expect_op("}")?;
                return Ok(unknown("a comprehension"));
            }
            match key {
                Value::Str(key) => entries.push((key, value)),
                other => bad_key = bad_key.or(Some(other)),
            }
            if !self.eat_op(",") {
                break;
            }
        }
        self.expect_op("}")?;
        if let Some(key) = bad_key {
            return Ok(unknown(format!("a dict with the key {}", key.describe())));
        }
        if !self.charge(entries.len()) {
            return Ok(Self::over_budget());
        }
        Ok(Value::Dict(entries))
    }

    /// `for x, y in iterable` and `if condition` clauses.
    fn comprehension(&mut self) -> Result<(), SyntaxError> {
        while self.at_word("for") || self.at_word("if") {
            if self.at_word("if") {
                self.advance();
                self.or_test()?;
                continue;
            }
            self.advance();
            loop {
                self.enter()?;
                self.primary()?;
                self.depth -= 1;
                if !self.eat_op(",") {
                    break;
                }
            }
            if !self.at_word("in") {
                return self.unexpected("`in`");
            }
            self.advance();
            self.or_test()?;
        }
        Ok(())
    }

    /// After `[`: an index or a slice, up to and including `]`.
    fn subscript(&mut self) -> Result<Value, SyntaxError> {
        let mut parts = 0;
        let mut value = Value::None;
        let mut slice = false;
        loop {
            if !self.at_op(":") && !self.at_op("]") {
                value = self.test()?;
                parts += 1;
            }
            if self.eat_op(":") {
                slice = true;
                continue;
            }
            break;
        }
        self.expect_op("]")?;
        if slice || parts != 1 {
            return Ok(unknown("a slice"));
        }
        Ok(value)
    }

    /// After `(`: arguments up to and including `)`.
    fn arguments(&mut self) -> Result<Args, SyntaxError> {
        let mut args = Args::default();
        while !self.at_op(")") {
            if self.eat_op("**") || self.eat_op("*") {
                let double = matches!(self.tokens[self.pos - 1].tok, Tok::Op("**"));
                let value = self.test()?;
                match (double, value) {
                    (true, Value::Dict(entries)) => args.named.extend(entries),
                    (false, Value::List(items) | Value::Tuple(items)) => {
                        args.positional.extend(items)
                    }
                    (_, other) => {
                        let stars = if double { "**" } else { "*" };
                        args.splat
                            .get_or_insert(format!("`{stars}` of {}", other.describe()));
                    }
                }
            } else if let (Some(Tok::Ident(key)), Some(Tok::Op("="))) =
                (self.peek(), self.peek_at(1))
            {
                self.advance();
                self.advance();
                let value = self.test()?;
                args.named.push((key.clone(), value));
            } else {
                let value = self.test()?;
                if self.at_word("for") {
                    self.comprehension()?;
                    args.positional.push(unknown("a comprehension"));
                } else {
                    args.positional.push(value);
                }
            }
            if !self.eat_op(",") {
                break;
            }
        }
        self.expect_op(")")?;
        Ok(args)
    }

    /// A call of a named function (or of a value).
    fn call(&self, name: Option<&str>, callee: Value, args: Args) -> Value {
        let builtin = |n: &str| name == Some(n) && !self.env.globals.contains_key(n);
        if let Some(why) = args.splat {
            return unknown(format!("a call with {why}"));
        }
        if builtin("dict") {
            let mut entries = match args.positional.as_slice() {
                [] => Vec::new(),
                [Value::Dict(entries)] => entries.clone(),
                [Value::Unknown(why)] => return Value::Unknown(why.clone()),
                _ => return unknown("a `dict()` of something other than a dict"),
            };
            for (key, value) in args.named {
                match entries.iter_mut().find(|(k, _)| *k == key) {
                    Some(entry) => entry.1 = value,
                    None => entries.push((key, value)),
                }
            }
            return Value::Dict(entries);
        }
        if builtin("Label") {
            if let [Value::Str(label)] = args.positional.as_slice() {
                return Value::Str(label.clone());
            }
        }
        if builtin("use_repo_rule") {
            if let [_, Value::Str(rule)] = args.positional.as_slice() {
                if self.env.aliases.get(rule) == Some(rule) {
                    return Value::Rule(rule.clone());
                }
            }
        }
        match (name, callee) {
            (_, Value::Unknown(why)) if name.is_none() => Value::Unknown(why),
            (Some(name), _) => unknown(format!("a call to `{name}`")),
            (None, _) => unknown("a call"),
        }
    }

    /// A method call: `str.format(...)`; anything else is unknown.
    fn method(&mut self, receiver: Value, method: &str, args: Args) -> Value {
        match (receiver, method) {
            (Value::Unknown(why), _) => Value::Unknown(why),
            (Value::Str(template), "format") => {
                if let Some(why) = args.splat {
                    return unknown(format!("`.format` with {why}"));
                }
                let positional: Option<Vec<String>> =
                    args.positional.iter().map(format_arg).collect();
                let named: Option<Vec<(String, String)>> = args
                    .named
                    .iter()
                    .map(|(k, v)| format_arg(v).map(|v| (k.clone(), v)))
                    .collect();
                let (Some(positional), Some(named)) = (positional, named) else {
                    return unknown("`.format` of a value that is not a literal");
                };
                match format(&template, &positional, &named) {
                    Ok(s) if self.charge(s.len()) => Value::Str(s),
                    Ok(_) => Self::over_budget(),
                    Err(why) => unknown(why),
                }
            }
            (_, method) => unknown(format!("a call to `.{method}`")),
        }
    }
}

/// A value as `str()` writes it, for formatting; `None` when not literal.
fn format_arg(value: &Value) -> Option<String> {
    match value {
        Value::Str(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Bool(b) => Some(if *b { "True" } else { "False" }.into()),
        Value::None => Some("None".into()),
        _ => None,
    }
}

/// Python's `str.format` for plain fields: `{}`, `{0}`, `{name}`, `{{`,
/// `}}`. Conversions and format specs (`{x!r}`, `{x:>4}`) are refused, as
/// is a field with no value (Starlark would fail there too).
pub(crate) fn format(
    template: &str,
    positional: &[String],
    named: &[(String, String)],
) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut chars = template.chars().peekable();
    let mut auto = 0usize;
    let mut manual = false;
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '}' => return Err(format!("a single `}}` in {template:?}")),
            '{' => {
                let mut field = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) => field.push(c),
                        None => return Err(format!("an unclosed `{{` in {template:?}")),
                    }
                }
                let numbered = field.is_empty() || field.bytes().all(|b| b.is_ascii_digit());
                if numbered && (if field.is_empty() { manual } else { auto > 0 }) {
                    return Err(format!(
                        "{template:?}, which mixes `{{}}` and numbered fields"
                    ));
                }
                let value = if field.is_empty() {
                    auto += 1;
                    positional.get(auto - 1)
                } else if let Ok(index) = field.parse::<usize>() {
                    manual = true;
                    positional.get(index)
                } else if field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    named.iter().find(|(k, _)| *k == field).map(|(_, v)| v)
                } else {
                    return Err(format!(
                        "the format field `{{{field}}}`, which vouch does not read"
                    ));
                };
                match value {
                    Some(v) => out.push_str(v),
                    None => {
                        return Err(format!(
                            "`{{{field}}}` in {template:?}, with no value for it"
                        ))
                    }
                }
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Starlark's `%` on strings for `%s`, `%d` and `%%`.
fn percent(template: &str, args: &[Value]) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut args = args.iter();
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some(conversion @ ('s' | 'd')) => {
                let arg = args
                    .next()
                    .ok_or_else(|| format!("too few values for {template:?} %"))?;
                match (conversion, arg) {
                    ('d', Value::Int(i)) => out.push_str(&i.to_string()),
                    ('s', arg) => out.push_str(
                        &format_arg(arg).ok_or_else(|| format!("`%` of {}", arg.describe()))?,
                    ),
                    (_, arg) => return Err(format!("`%d` of {}", arg.describe())),
                }
            }
            _ => {
                return Err(format!(
                    "a `%` conversion vouch does not read in {template:?}"
                ))
            }
        }
    }
    if args.next().is_some() {
        return Err(format!("too many values for {template:?} %"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: [&str; 2] = ["http_archive", "http_file"];

    fn parse_ok(text: &str) -> Module {
        match parse(text, &RULES) {
            Ok(module) => module,
            Err(e) => panic!("line {}: {}", e.line, e.message),
        }
    }

    fn global(module: &Module, name: &str) -> Value {
        module
            .assignments
            .iter()
            .rev()
            .find(|a| a.name == name)
            .map(|a| a.value.clone())
            .unwrap_or_else(|| panic!("no {name}"))
    }

    fn kwarg<'m>(call: &'m Call, key: &str) -> &'m Value {
        &call
            .kwargs
            .iter()
            .find(|(k, _)| k == key)
            .unwrap_or_else(|| panic!("no {key} in {call:?}"))
            .1
    }

    fn s(text: &str) -> Value {
        Value::Str(text.into())
    }

    #[test]
    fn reads_literals_concatenation_and_earlier_globals() {
        let m = parse_ok(
            "# a comment\n\
             GITHUB = \"https://github.com/\"  # trailing comment\n\
             V = '1.3' + \".1\"\n\
             SPEC = dict(\n\
             \x20   zlib = dict(\n\
             \x20       version = V,\n\
             \x20       urls = [GITHUB + \"madler/zlib/archive/v{version}.tar.gz\"],\n\
             \x20       n = -3, t = True, f = False, z = None,\n\
             \x20       raw = r'a\\d', multi = \"\"\"x\n\
             y\"\"\",\n\
             \x20   ),\n\
             \x20   other = {'k': (1, 2,), \"l\": [1, 2][1]},\n\
             )\n",
        );
        let spec = global(&m, "SPEC");
        let Value::Dict(entries) = spec else {
            panic!("{spec:?}")
        };
        assert_eq!(entries[0].0, "zlib");
        assert_eq!(
            entries[0].1,
            Value::Dict(vec![
                ("version".into(), s("1.3.1")),
                (
                    "urls".into(),
                    Value::List(vec![s(
                        "https://github.com/madler/zlib/archive/v{version}.tar.gz"
                    )])
                ),
                ("n".into(), Value::Int(-3)),
                ("t".into(), Value::Bool(true)),
                ("f".into(), Value::Bool(false)),
                ("z".into(), Value::None),
                ("raw".into(), s("a\\d")),
                ("multi".into(), s("x\ny")),
            ])
        );
        assert_eq!(
            entries[1].1,
            Value::Dict(vec![
                ("k".into(), Value::Tuple(vec![Value::Int(1), Value::Int(2)])),
                ("l".into(), Value::Int(2)),
            ])
        );
        // Line numbers are those of the source.
        assert_eq!(m.assignments[0].line, 2);
        assert_eq!(m.assignments[2].line, 4);
    }

    #[test]
    fn escapes_are_decoded() {
        let m = parse_ok("A = \"t\\tq\\\"\\x41\\101\\u00e9\\\\\"\nB = b'x'\n");
        assert_eq!(global(&m, "A"), s("t\tq\"AAé\\"));
        assert_eq!(global(&m, "B"), s("x"));
    }

    #[test]
    fn format_and_percent_interpolate() {
        let m = parse_ok(
            "V = \"1.2\"\n\
             A = \"x-{version}-{{y}}\".format(version = V)\n\
             B = \"%s-%d%%\" % (V, 3)\n\
             C = \"{}-{}\".format(\"a\", 1)\n\
             D = \"{missing}\".format()\n",
        );
        assert_eq!(global(&m, "A"), s("x-1.2-{y}"));
        assert_eq!(global(&m, "B"), s("1.2-3%"));
        assert_eq!(global(&m, "C"), s("a-1"));
        let Value::Unknown(why) = global(&m, "D") else {
            panic!()
        };
        assert!(why.contains("`{missing}`"), "{why}");
        assert_eq!(
            format(
                "{version}/{dash_version}",
                &[],
                &[
                    ("version".into(), "1".into()),
                    ("dash_version".into(), "2".into())
                ]
            ),
            Ok("1/2".into())
        );
        assert!(format("{x:>3}", &[], &[]).is_err());
        assert!(format("{}{0}", &["a".into()], &[]).is_err());
    }

    #[test]
    fn non_literals_are_unknown_with_a_reason_not_errors() {
        let m = parse_ok(
            "A = select({\"//c\": \"x\"})\n\
             B = UNDEFINED\n\
             C = [x for x in [1, 2] if x]\n\
             D = lambda a, b = 1, *c, **d: a if b else c\n\
             E = \"a\" if True else \"b\"\n\
             F = \"x\".upper()\n\
             G = 1 + \"a\"\n\
             H = not True\n\
             I = [1, 2][0:1]\n\
             J = {k: v for k, v in {}.items()}\n\
             K = 1.5\n\
             L = \"a\"\n\
             L += \"b\"\n",
        );
        let why = |name: &str| match global(&m, name) {
            Value::Unknown(why) => why,
            other => panic!("{name}: {other:?}"),
        };
        assert_eq!(why("A"), "a call to `select`");
        assert!(
            why("B").contains("`UNDEFINED`, which is not assigned"),
            "{}",
            why("B")
        );
        assert_eq!(why("C"), "a comprehension");
        assert_eq!(why("D"), "a lambda");
        assert_eq!(global(&m, "E"), s("a"));
        assert_eq!(why("F"), "a call to `.upper`");
        assert!(why("G").starts_with("`+` of the integer 1"), "{}", why("G"));
        assert_eq!(global(&m, "H"), Value::Bool(false));
        assert_eq!(why("I"), "a slice");
        assert_eq!(why("J"), "a comprehension");
        assert_eq!(why("K"), "a float");
        // The assignment is recorded as written; later uses see `+=`.
        assert_eq!(global(&m, "L"), s("a"));
    }

    #[test]
    fn finds_rule_calls_with_aliases_maybe_and_inside_defs() {
        let m = parse_ok(
            "load(\"@bazel_tools//tools/build_defs/repo:http.bzl\", \"http_archive\", my_file = \"http_file\")\n\
             load(\"@bazel_tools//tools/build_defs/repo:utils.bzl\", \"maybe\")\n\
             SHA = \"ab\" * 2\n\
             archive = use_repo_rule(\"@bazel_tools//tools/build_defs/repo:http.bzl\", \"http_archive\")\n\
             http_archive(name = \"a\", urls = [\"u\"], sha256 = \"00\")\n\
             my_file(name = \"b\", url = \"v\"); archive(name = \"c\", **{\"integrity\": \"sha256-x\"})\n\
             def deps(name, sha256 = None, **kwargs):\n\
             \x20   maybe(http_archive, name = \"d\", sha256 = sha256, urls = [\"w\"])\n\
             \x20   if True: http_archive(name = name, **kwargs)\n\
             \x20   native.http_archive(name = \"not-this\")\n\
             def http_file(x):\n\
             \x20   pass\n\
             other(name = \"e\")\n",
        );
        let names: Vec<(&str, &Value, bool)> = m
            .calls
            .iter()
            .map(|c| (c.rule.as_str(), kwarg(c, "name"), c.in_def))
            .collect();
        assert_eq!(names.len(), 5, "{:?}", m.calls);
        assert_eq!(names[0], ("http_archive", &s("a"), false));
        assert_eq!(names[1], ("http_file", &s("b"), false));
        assert_eq!(names[2], ("http_archive", &s("c"), false));
        assert_eq!(kwarg(&m.calls[2], "integrity"), &s("sha256-x"));
        assert_eq!(names[3], ("http_archive", &s("d"), true));
        assert!(
            matches!(kwarg(&m.calls[3], "sha256"), Value::Unknown(w) if w.contains("parameter")),
            "{:?}",
            m.calls[3]
        );
        assert!(matches!(names[4].1, Value::Unknown(_)));
        assert_eq!(
            m.calls[4].splat.as_deref(),
            Some("`**` of `kwargs`, a parameter of the enclosing function")
        );
        assert_eq!(m.calls[1].line, 6);
        assert_eq!(m.calls[3].line, 8);
    }

    #[test]
    fn syntax_errors_name_their_line() {
        for (text, line, needle) in [
            ("A = 1\nB = \"open\n", 2, "unterminated string"),
            ("A = [1,\n  2\nB = 3\n", 1, "never closed"),
            ("A = (1]\n", 1, "does not close"),
            ("A = 1\n\nB = dict(a = )\n", 3, "expected an expression"),
            ("A = 1 2\n", 1, "expected the end of the statement"),
            ("A = $\n", 1, "unexpected character"),
            (
                "x = 1\nhttp_archive(name = \"a\" sha256 = \"b\")\n",
                2,
                "expected `)`",
            ),
            ("A = \"\\q\"\n", 1, "invalid escape"),
            ("A = 0x\n", 1, "invalid number"),
            ("A = 1 if 2\n", 1, "expected `else`"),
        ] {
            let e = parse(text, &RULES).unwrap_err();
            assert_eq!(e.line, line, "{text:?}: {e:?}");
            assert!(e.message.contains(needle), "{text:?}: {e:?}");
        }
    }

    #[test]
    fn no_mutation_or_truncation_of_a_file_panics() {
        let sample = "load(\"@bazel_tools//tools/build_defs/repo:http.bzl\", \"http_archive\")\n\
                      V = \"1.2\" # c\n\
                      S = dict(\n  a = dict(version = V, urls = [\"u/{version}\" + 'x'], n = -0x1f),\n)\n\
                      def f(name, **kw):\n    http_archive(name = name, sha256 = r\"\\d\", **kw)\n\
                      http_archive(name = \"b\", urls = [x for x in (1, 2) if x], s = \"%s\" % V)\n\
                      T = {\"k\": [1, 2][0:1], \"l\": lambda a: not a}\n\
                      U = \"\"\"t\n\\x41\"\"\".format() ; W = 1.5e3\n";
        assert!(parse(sample, &RULES).is_ok());
        for (i, _) in sample.char_indices() {
            let _ = parse(&sample[..i], &RULES);
            for c in [
                '"', '\'', '(', ']', '}', '\\', '\n', '#', '=', ',', 'x', '\u{e9}', ' ',
            ] {
                let mut mutated = String::from(&sample[..i]);
                mutated.push(c);
                mutated.push_str(&sample[i + 1..]);
                let _ = parse(&mutated, &RULES);
            }
        }
    }

    #[test]
    fn deep_nesting_and_huge_expansions_are_refused_not_crashes() {
        let deep = format!("A = {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        let e = parse(&deep, &RULES).unwrap_err();
        assert!(e.message.contains("nested deeper than 64"), "{e:?}");
        let unary = format!("A = {}1\n", "-".repeat(100_000));
        let e = parse(&unary, &RULES).unwrap_err();
        assert!(e.message.contains("nested deeper than 64"), "{e:?}");
        let not = format!("A = {}True\n", "not ".repeat(100_000));
        assert!(parse(&not, &RULES).is_err());
        // A long chain is a loop, not a recursion: fine.
        let chain = format!("A = \"a\"{}\n", " + \"a\"".repeat(100_000));
        let m = parse_ok(&chain);
        assert_eq!(global(&m, "A"), Value::Str("a".repeat(100_001)));
        // Doubling a string 40 times would need a terabyte: it stops.
        let mut doubling = String::from("A0 = \"xxxxxxxxxxxxxxxx\"\n");
        for i in 1..40 {
            doubling.push_str(&format!("A{i} = A{} + A{}\n", i - 1, i - 1));
        }
        let m = parse_ok(&doubling);
        let Value::Unknown(why) = global(&m, "A39") else {
            panic!()
        };
        assert!(why.contains("too large"), "{why}");
    }
}
