//! The bearer token a request carries: its pool slot, its generation, and its header value, which
//! never prints. It sits below both the HTTP layer (which sends it) and the token manager (which
//! mints it), so that neither imports the other for it.

use std::fmt;

use http::header::HeaderValue;

/// A bearer token from the pool: its slot index (one budget per index) and generation.
#[derive(Clone)]
pub struct BearerToken {
    pub(crate) index: usize,
    pub(crate) generation: u64,
    pub(crate) header: HeaderValue,
}

impl BearerToken {
    /// The pool slot this token belongs to: the pacer keeps one budget per index.
    pub fn index(&self) -> usize {
        self.index
    }

    /// 1 for the slot's first token, then one more for each renewal or re-authentication.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// `Bearer <token>`, marked sensitive so that http never prints it.
    pub fn header_value(&self) -> &HeaderValue {
        &self.header
    }
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerToken")
            .field("index", &self.index)
            .field("generation", &self.generation)
            .field("value", &"[redacted]")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_never_print_their_value() {
        let mut header = HeaderValue::from_static("Bearer abc.def");
        header.set_sensitive(true);
        let token = BearerToken {
            index: 2,
            generation: 1,
            header,
        };
        let text = format!("{token:?}");
        assert!(!text.contains("abc.def"), "{text}");
        assert!(text.contains("index: 2"), "{text}");
        assert!(!format!("{:?}", token.header_value()).contains("abc.def"));
    }
}
