//! A route's refusal in the API's error shape (status, code and message), and a route's answer
//! or refusal.

use axum::response::Response;
use pacer_genesys::errors::codes;

use crate::respond::{CorrelationId, api_error};

/// A refusal in the API's error shape: status, code and message.
#[derive(Debug)]
pub struct Problem {
    status: u16,
    code: &'static str,
    message: String,
}

impl Problem {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Problem {
        Problem {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn not_found(what: &str) -> Problem {
        Problem::new(404, codes::NOT_FOUND, format!("The {what} was not found."))
    }

    pub fn bad_request(message: impl Into<String>) -> Problem {
        Problem::new(400, codes::BAD_REQUEST, message)
    }

    /// The answer, with the request's correlation id.
    pub fn answer(&self, cid: &CorrelationId) -> Response {
        api_error(self.status, self.code, &self.message, cid)
    }
}

/// A route's answer or its refusal.
pub type Answer = Result<Response, Problem>;
