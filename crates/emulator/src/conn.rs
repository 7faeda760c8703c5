//! Connections that a handler can reset: the listener wraps each stream with a kill switch that
//! the handler trips; the next write then fails and the socket closes with an RST. Each request
//! also learns whether its connection is TLS, so that the URLs it is handed say https and wss.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// A TCP listener whose connections can be reset from a handler.
#[derive(Debug)]
pub struct ResettableListener(pub TcpListener);

/// A TCP stream with a kill switch.
#[derive(Debug)]
pub struct ResettableStream {
    stream: TcpStream,
    kill: Arc<AtomicBool>,
}

/// The kill switch of the connection a request arrived on (a request extension via ConnectInfo).
#[derive(Debug, Clone)]
pub struct ConnKill(Arc<AtomicBool>);

/// What a request knows of its connection (a request extension via ConnectInfo).
#[derive(Debug, Clone)]
pub struct Conn {
    pub kill: ConnKill,
    /// The connection is TLS: the URLs handed out say https and wss.
    pub secure: bool,
}

impl ConnKill {
    /// Resets the connection instead of answering.
    pub fn trip(&self) {
        self.0.store(true, Ordering::Release);
    }
}

impl Listener for ResettableListener {
    type Io = ResettableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.0.accept().await {
                Ok((stream, addr)) => {
                    let _ = stream.set_nodelay(true);
                    return (
                        ResettableStream {
                            stream,
                            kill: Arc::new(AtomicBool::new(false)),
                        },
                        addr,
                    );
                }
                // Out of file descriptors and the like: wait a little rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

impl Connected<IncomingStream<'_, ResettableListener>> for Conn {
    fn connect_info(stream: IncomingStream<'_, ResettableListener>) -> Self {
        Conn {
            kill: stream.io().kill_switch(),
            secure: false,
        }
    }
}

impl ResettableStream {
    /// The switch that resets this connection.
    pub fn kill_switch(&self) -> ConnKill {
        ConnKill(self.kill.clone())
    }

    fn killed(&self) -> bool {
        self.kill.load(Ordering::Acquire)
    }

    fn reset(&self) -> io::Error {
        // With a zero linger, closing the socket sends an RST instead of a FIN.
        let _ = self.stream.set_zero_linger();
        io::Error::new(
            io::ErrorKind::ConnectionReset,
            "connection reset by the emulator",
        )
    }
}

impl AsyncRead for ResettableStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.killed() {
            return Poll::Ready(Err(this.reset()));
        }
        Pin::new(&mut this.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for ResettableStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.killed() {
            return Poll::Ready(Err(this.reset()));
        }
        Pin::new(&mut this.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.killed() {
            return Poll::Ready(Err(this.reset()));
        }
        Pin::new(&mut this.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.killed() {
            return Poll::Ready(Err(this.reset()));
        }
        Pin::new(&mut this.stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.killed() {
            return Poll::Ready(Err(this.reset()));
        }
        Pin::new(&mut this.stream).poll_shutdown(cx)
    }
}
