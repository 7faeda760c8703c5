//! A minimal axum server: the baseline that scripts/bench-emulator.sh compares the emulator with.
//!
//! It reads each request's body and answers a small JSON object, on the same runtime and socket
//! settings as the emulator (multi-threaded tokio, TCP_NODELAY), so that the difference measured is
//! the emulator's own work. Usage: `minimal [ADDR]` (default 127.0.0.1:0); it prints its URL.

use axum::Router;
use axum::body::Bytes;
use axum::serve::ListenerExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".to_string());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!(
        "minimal axum handler listening on http://{}",
        listener.local_addr()?
    );
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let app = Router::new().fallback(|body: Bytes| async move {
        (
            [("content-type", "application/json")],
            format!("{{\"received\":{}}}", body.len()),
        )
    });
    axum::serve(listener, app).await?;
    Ok(())
}
