//! Licences as SPDX expressions, and nothing else.
//!
//! Package metadata writes licences in many ways: SPDX expressions
//! (`MIT OR Apache-2.0`), Cargo's old `MIT/Apache-2.0`, npm's
//! `SEE LICENSE IN LICENSE.txt` and `UNLICENSED`, free text in Python's
//! `License:` field. The SBOMs record [`crate::Input::license`] as an SPDX
//! expression, so only text that *is* one is kept; anything else is
//! dropped rather than passed off as an expression. Validation uses the
//! `spdx` crate's copy of the SPDX licence list, in strict mode with two
//! allowances: `/` as `OR` (crates.io accepted it for years, and `/` can
//! appear in no SPDX identifier, so the meaning is not in doubt) and
//! deprecated identifiers (`GPL-2.0`: still valid SPDX, only discouraged).
//! Guessing from imprecise names (`Apache`, `BSD`) is never done.

use spdx::lexer::{Lexer, Token};
use spdx::ParseMode;

/// How expressions are read: strict SPDX, plus `/` for `OR` and
/// deprecated identifiers.
const MODE: ParseMode = ParseMode {
    allow_slash_as_or_operator: true,
    allow_imprecise_license_names: false,
    allow_postfix_plus_on_gpl: false,
    allow_deprecated: true,
    allow_unknown: false,
};

/// Several licences a package may be used under (npm's deprecated
/// `licenses` list, a gemspec's `licenses`), each an SPDX expression, as
/// one: joined with `OR`, compound ones in parentheses. `None` for none.
pub(crate) fn any_of(expressions: &[String]) -> Option<String> {
    match expressions {
        [] => None,
        [one] => Some(one.clone()),
        several => Some(
            several
                .iter()
                .map(|e| {
                    if e.contains(' ') {
                        format!("({e})")
                    } else {
                        e.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(" OR "),
        ),
    }
}

/// `text` as a canonical SPDX expression (identifiers as the licence list
/// spells them, `AND`/`OR`/`WITH` upper case, single spaces, `/` written
/// as `OR`), or `None` when it is not one: free text, an unknown
/// identifier, a syntax error.
pub fn spdx_expression(text: &str) -> Option<String> {
    let text = text.trim();
    // Parsing checks the grammar; the lexer alone only splits tokens.
    spdx::Expression::parse_mode(text, MODE).ok()?;
    let mut out = String::with_capacity(text.len());
    for token in Lexer::new_mode(text, MODE) {
        let word = match token.ok()?.token {
            Token::Spdx(id) => id.name.to_string(),
            Token::Exception(id) => id.name.to_string(),
            Token::LicenseRef { doc_ref, lic_ref } => reference(doc_ref, "LicenseRef", lic_ref),
            Token::AdditionRef { doc_ref, add_ref } => reference(doc_ref, "AdditionRef", add_ref),
            Token::Plus => {
                out.push('+');
                continue;
            }
            Token::CloseParen => {
                out.push(')');
                continue;
            }
            Token::OpenParen => "(".to_string(),
            Token::And => "AND".to_string(),
            Token::Or => "OR".to_string(),
            Token::With => "WITH".to_string(),
            Token::Unknown(_) => return None,
        };
        if !out.is_empty() && !out.ends_with('(') {
            out.push(' ');
        }
        out.push_str(&word);
    }
    Some(out)
}

/// A `[DocumentRef-<doc>:]<kind>-<id>` reference.
fn reference(doc_ref: Option<&str>, kind: &str, id: &str) -> String {
    match doc_ref {
        Some(doc) => format!("DocumentRef-{doc}:{kind}-{id}"),
        None => format!("{kind}-{id}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spdx_expressions_are_kept_in_canonical_form() {
        for (text, expected) in [
            ("MIT", "MIT"),
            (" MIT OR Apache-2.0 ", "MIT OR Apache-2.0"),
            ("MIT/Apache-2.0", "MIT OR Apache-2.0"),
            ("Apache-2.0 / MIT", "Apache-2.0 OR MIT"),
            ("MIT or Apache-2.0", "MIT OR Apache-2.0"),
            (
                "(MIT OR Apache-2.0) AND Unicode-3.0",
                "(MIT OR Apache-2.0) AND Unicode-3.0",
            ),
            (
                "Apache-2.0 WITH LLVM-exception OR Apache-2.0 OR MIT",
                "Apache-2.0 WITH LLVM-exception OR Apache-2.0 OR MIT",
            ),
            ("GPL-2.0", "GPL-2.0"),
            ("Apache-1.0+", "Apache-1.0+"),
            ("LicenseRef-Proprietary", "LicenseRef-Proprietary"),
        ] {
            assert_eq!(spdx_expression(text).as_deref(), Some(expected), "{text}");
        }
    }

    #[test]
    fn free_text_and_unknown_identifiers_are_not_expressions() {
        for text in [
            "",
            "SEE LICENSE IN LICENSE.txt",
            "UNLICENSED",
            "Apache",
            "BSD",
            "mit",
            "Apache 2.0",
            "MIT License",
            "Copyright (c) 2010 someone\n\nPermission is hereby granted",
            "MIT OR",
            "(MIT",
            "MIT AND AND Apache-2.0",
        ] {
            assert_eq!(spdx_expression(text), None, "{text:?}");
        }
    }
}
