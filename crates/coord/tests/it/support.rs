//! A redis-server per test, and runners on it.

use std::path::PathBuf;
use std::time::Duration;

use pacer_coord::{Coordinator, LocalRedis, Options};

/// A redis-server and its folder, both gone when dropped.
pub struct Redis {
    pub server: LocalRedis,
    dir: PathBuf,
}

impl Redis {
    pub fn start(name: &str) -> Redis {
        let dir =
            std::env::temp_dir().join(format!("pacer-coord-it-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let server = LocalRedis::start(&dir).expect("redis-server starts (Debian's redis-server)");
        Redis { server, dir }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    /// A runner named `runner` of run `run`, with a lease of `lease`.
    pub async fn runner(&self, run: &str, runner: &str, lease: Duration) -> Coordinator {
        let mut options = Options::new(run, runner);
        options.lease = lease;
        options.margin = 0.0;
        Coordinator::connect(&self.url(), options, None)
            .await
            .unwrap()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.server.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
