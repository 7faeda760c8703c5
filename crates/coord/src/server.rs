//! A redis-server of pacer's own on loopback, for tests and the demo: started on a free port with
//! its data in a folder of the caller's (append-only file, every write synced, so that a restart
//! loses nothing), known ready when it says so, and stopped by its pid.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::error::{Error, Result};

/// A running redis-server; stopped when dropped.
pub struct LocalRedis {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
}

impl LocalRedis {
    /// Starts `redis-server` (from the PATH) on a free loopback port, keeping its data in `dir`.
    pub fn start(dir: &Path) -> Result<LocalRedis> {
        let port = free_port()?;
        let mut redis = LocalRedis {
            child: None,
            port,
            dir: dir.to_path_buf(),
        };
        redis.spawn()?;
        Ok(redis)
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The server's pid, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Stops the server (SIGKILL by its pid: nothing is saved beyond what the append-only file
    /// already holds).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port with the same data.
    pub fn restart(&mut self) -> Result<()> {
        self.stop();
        self.spawn()
    }

    fn spawn(&mut self) -> Result<()> {
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| Error::Server(format!("cannot create {}: {e}", self.dir.display())))?;
        let mut child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--protected-mode", "yes"])
            .arg("--dir")
            .arg(&self.dir)
            .args(["--appendonly", "yes", "--appendfsync", "always"])
            .args(["--save", "", "--daemonize", "no", "--logfile", ""])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                Error::Server(format!(
                    "cannot start redis-server ({e}); install Debian's redis-server package"
                ))
            })?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let mut said = Vec::new();
        let ready = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if line.contains("Ready to accept connections") {
                        break true;
                    }
                    said.push(line);
                }
                _ => break false,
            }
        };
        if !ready {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Error::Server(format!(
                "it stopped before accepting connections: {}",
                said.join(" / ")
            )));
        }
        // The rest of its log is drained so that it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        self.child = Some(child);
        Ok(())
    }
}

impl Drop for LocalRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| Error::Server(format!("no free loopback port: {e}")))?;
    listener
        .local_addr()
        .map(|addr| addr.port())
        .map_err(|e| Error::Server(e.to_string()))
}
