//! What every route needs and no route owns: the request context, a route's answer or refusal,
//! query strings, forms and JSON bodies, and credentials read from headers. It imports no route;
//! every route imports it.

mod credentials;
mod ctx;
mod problem;
mod query;

pub use credentials::{basic_credentials, bearer, constant_time_eq};
pub use ctx::{Ctx, read_json};
pub use problem::{Answer, Problem};
pub use query::{parse_form, query_value};
