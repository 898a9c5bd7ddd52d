//! The Python literals Ansible's INI plugin reads values with (`ast.literal_eval`):
//! numbers, quoted strings, `True`/`False`/`None`, lists, tuples and dicts. Anything else
//! stays the plain string, as in Ansible.

use crate::model::Value;

/// `ast.literal_eval(text)` for the literals INI inventories use; `None` = not a literal.
pub fn python_literal(text: &str) -> Option<Value> {
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        i: 0,
    };
    let v = p.value()?;
    p.ws();
    (p.i == p.s.len()).then_some(v)
}

/// An INI value: the literal when it is one, else the text itself.
pub fn ini_value(text: &str) -> Value {
    python_literal(text).unwrap_or_else(|| Value::String(text.to_string()))
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Option<Value> {
        self.ws();
        match *self.s.get(self.i)? {
            b'\'' | b'"' => self.string().map(Value::String),
            b'[' => self.seq(b']'),
            b'(' => self.seq(b')'),
            b'{' => self.dict(),
            b'-' | b'+' | b'.' | b'0'..=b'9' => self.number(),
            _ => {
                let rest = &self.text[self.i..];
                for (word, v) in [
                    ("True", Value::Bool(true)),
                    ("False", Value::Bool(false)),
                    ("None", Value::Null),
                ] {
                    if rest.starts_with(word)
                        && !rest[word.len()..]
                            .chars()
                            .next()
                            .is_some_and(|c| c.is_alphanumeric() || c == '_')
                    {
                        self.i += word.len();
                        return Some(v);
                    }
                }
                None
            }
        }
    }

    fn string(&mut self) -> Option<String> {
        let q = self.s[self.i];
        self.i += 1;
        let mut out = String::new();
        let mut chars = self.text[self.i..].char_indices();
        while let Some((off, c)) = chars.next() {
            match c {
                c if c as u32 == q as u32 => {
                    self.i += off + 1;
                    return Some(out);
                }
                '\\' => {
                    let (_, e) = chars.next()?;
                    match e {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'r' => out.push('\r'),
                        '0' => out.push('\0'),
                        '\\' | '\'' | '"' => out.push(e),
                        other => {
                            out.push('\\');
                            out.push(other);
                        }
                    }
                }
                '\n' => return None,
                c => out.push(c),
            }
        }
        None
    }

    fn seq(&mut self, close: u8) -> Option<Value> {
        self.i += 1;
        let mut items = Vec::new();
        loop {
            if self.eat(close) {
                return Some(Value::Array(items));
            }
            items.push(self.value()?);
            if !self.eat(b',') {
                return self.eat(close).then_some(Value::Array(items));
            }
        }
    }

    fn dict(&mut self) -> Option<Value> {
        self.i += 1;
        let mut map = serde_json::Map::new();
        loop {
            if self.eat(b'}') {
                return Some(Value::Object(map));
            }
            let key = match self.value()? {
                Value::String(s) => s,
                other => other.to_string(),
            };
            if !self.eat(b':') {
                return None;
            }
            let v = self.value()?;
            map.insert(key, v);
            if !self.eat(b',') {
                return self.eat(b'}').then_some(Value::Object(map));
            }
        }
    }

    fn number(&mut self) -> Option<Value> {
        let start = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_alphanumeric()
                || matches!(self.s[self.i], b'.' | b'_' | b'-' | b'+'))
        {
            // A sign only at the start or after an exponent.
            if matches!(self.s[self.i], b'-' | b'+')
                && self.i != start
                && !matches!(self.s[self.i - 1], b'e' | b'E')
            {
                break;
            }
            self.i += 1;
        }
        let raw = self.text[start..self.i].replace('_', "");
        let (neg, digits) = match raw.strip_prefix('-') {
            Some(d) => (true, d),
            None => (false, raw.strip_prefix('+').unwrap_or(&raw)),
        };
        let radix = |p: &str, r: u32| i64::from_str_radix(&digits[p.len()..], r).ok();
        let int = match digits.get(..2).map(str::to_ascii_lowercase).as_deref() {
            Some("0x") => radix("0x", 16),
            Some("0o") => radix("0o", 8),
            Some("0b") => radix("0b", 2),
            // Python rejects leading zeros in decimals ("010" is a syntax error).
            _ if digits.len() > 1
                && digits.starts_with('0')
                && digits.bytes().all(|b| b.is_ascii_digit()) =>
            {
                if digits.bytes().all(|b| b == b'0') {
                    Some(0)
                } else {
                    return None;
                }
            }
            _ if digits.bytes().all(|b| b.is_ascii_digit()) && !digits.is_empty() => {
                digits.parse::<i64>().ok()
            }
            _ => None,
        };
        if let Some(n) = int {
            return Some(Value::from(if neg { -n } else { n }));
        }
        let f: f64 = digits.parse().ok()?;
        if !f.is_finite()
            || digits
                .chars()
                .any(|c| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
        {
            return None;
        }
        serde_json::Number::from_f64(if neg { -f } else { f }).map(Value::Number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn literals_as_python_reads_them() {
        assert_eq!(ini_value("22"), json!(22));
        assert_eq!(ini_value("-3"), json!(-3));
        assert_eq!(ini_value("0x1f"), json!(31));
        assert_eq!(ini_value("1.5"), json!(1.5));
        assert_eq!(ini_value("True"), json!(true));
        assert_eq!(ini_value("None"), Value::Null);
        assert_eq!(ini_value("'a b'"), json!("a b"));
        assert_eq!(ini_value("\"x\""), json!("x"));
        assert_eq!(ini_value("[1, 'a', (2, 3)]"), json!([1, "a", [2, 3]]));
        assert_eq!(
            ini_value("{'k': 1, 'l': [True]}"),
            json!({"k": 1, "l": [true]})
        );
    }

    #[test]
    fn everything_else_stays_text() {
        for s in [
            "yes",
            "true",
            "web01",
            "10.0.0.1",
            "1.2.3",
            "/usr/bin/python3",
            "010",
            "Trueish",
            "'open",
            "a=b",
        ] {
            assert_eq!(ini_value(s), json!(s), "{s}");
        }
    }
}
