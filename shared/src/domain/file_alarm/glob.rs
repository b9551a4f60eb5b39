//! File-name patterns of file alarms: `*` stands for any run of characters (none
//! included), `?` for exactly one, anything else for itself, case-sensitive — the
//! globs of a shell, without brackets or escapes, so that no name of the drive needs
//! quoting (`[` is common in instrument file names).

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The longest pattern, in bytes: more than any real name pattern needs, and it keeps
/// a rule small and its matching cheap.
pub const MAX_GLOB_BYTES: usize = 200;

/// A checked file-name pattern.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "String", into = "String")]
pub struct Glob(String);

impl Glob {
    /// `pattern` if it can match a file name: 1 to [`MAX_GLOB_BYTES`] bytes, no `/`
    /// (names hold none) and no control characters.
    pub fn parse(pattern: impl Into<String>) -> Result<Glob, String> {
        let pattern = pattern.into();
        let shown: String = pattern.chars().take(80).collect();
        let refuse = |why: &str| Err(format!("`glob` {shown:?}: {why}"));
        if pattern.is_empty() {
            return refuse("must not be empty (leave `glob` out to match every name)");
        }
        if pattern.len() > MAX_GLOB_BYTES {
            return refuse(&format!("at most {MAX_GLOB_BYTES} bytes"));
        }
        if pattern.contains('/') {
            return refuse("matches a file's name, which holds no `/` (folders are not matched)");
        }
        if pattern.chars().any(char::is_control) {
            return refuse("must not contain control characters");
        }
        Ok(Glob(pattern))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `name` matches the whole pattern. Greedy with one backtrack point (the
    /// last `*`): time is at most the product of the two lengths, never exponential.
    pub fn matches(&self, name: &str) -> bool {
        let pattern: Vec<char> = self.0.chars().collect();
        let name: Vec<char> = name.chars().collect();
        let (mut p, mut n) = (0, 0);
        // Where the last `*` was, and where in the name it started matching.
        let mut star: Option<(usize, usize)> = None;
        while n < name.len() {
            match pattern.get(p) {
                Some('*') => {
                    star = Some((p, n));
                    p += 1;
                }
                Some('?') => {
                    p += 1;
                    n += 1;
                }
                Some(c) if *c == name[n] => {
                    p += 1;
                    n += 1;
                }
                _ => match star {
                    // The last `*` takes one more character, and matching goes on.
                    Some((star_p, star_n)) => {
                        star = Some((star_p, star_n + 1));
                        p = star_p + 1;
                        n = star_n + 1;
                    }
                    None => return false,
                },
            }
        }
        pattern[p..].iter().all(|c| *c == '*')
    }
}

impl TryFrom<String> for Glob {
    type Error = String;
    fn try_from(pattern: String) -> Result<Self, String> {
        Glob::parse(pattern)
    }
}

impl From<Glob> for String {
    fn from(glob: Glob) -> String {
        glob.0
    }
}

impl fmt::Display for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
