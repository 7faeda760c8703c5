//! Shared helpers: an emulator on its own thread, input files in a fresh folder, running `pacer`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pacer_emulator::{AppState, Config, Overrides, Profile, StatsReport, TlsIdentity};

pub const SCHEDULE: &str = r#"{"weekDate":"2026-12-07","shifts":[{"startDate":"2026-12-07T08:00:00Z","lengthMinutes":480,"activities":[{"startDate":"2026-12-07T08:00:00Z","lengthMinutes":480,"activityCodeId":"0","description":"Work"}]}]}"#;

/// An emulator served from its own thread and runtime; it stops when dropped.
pub struct Emu {
    pub base: String,
    pub state: AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Emu {
    pub fn start(profile: Profile, agents: u32) -> Emu {
        let mut config = Config::profile(profile);
        config.agents = agents;
        Emu::with_config(config)
    }

    pub fn with_config(config: Config) -> Emu {
        Emu::serving(config, None)
    }

    /// Serves HTTPS and WSS with a certificate made at start, whose CA is written to `ca_out`.
    pub fn with_tls(config: Config, ca_out: &Path) -> Emu {
        let identity = TlsIdentity::generate().unwrap();
        std::fs::write(ca_out, identity.ca_pem().unwrap()).unwrap();
        Emu::serving(config, Some(identity))
    }

    fn serving(config: Config, tls: Option<TlsIdentity>) -> Emu {
        let state = AppState::new(config).expect("a valid config");
        let scheme = if tls.is_some() { "https" } else { "http" };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready, addr) = std::sync::mpsc::channel();
        let served = state.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                ready.send(listener.local_addr().unwrap()).unwrap();
                let stopped = async move {
                    let _ = stopped.await;
                };
                match &tls {
                    Some(identity) => {
                        pacer_emulator::serve_tls(listener, served, identity, stopped).await
                    }
                    None => pacer_emulator::serve(listener, served, stopped).await,
                }
                .unwrap();
            });
        });
        let addr = addr.recv().unwrap();
        Emu {
            base: format!("{scheme}://{addr}"),
            state,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn agent(&self, index: u32) -> String {
        self.state.agent_id(index).unwrap()
    }

    pub fn stats(&self) -> StatsReport {
        self.state.stats()
    }
}

impl Drop for Emu {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A fresh folder under the system's temporary folder, removed when dropped.
pub struct Dir(pub PathBuf);

impl Dir {
    pub fn new(name: &str) -> Dir {
        let path = std::env::temp_dir().join(format!("pacer-cli-it-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Dir(path)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The genesys profile on 2026-12-09 (unless `overrides` name another day), with `overrides`.
pub fn genesys_config(overrides: Overrides) -> Config {
    let mut config = Config::profile(Profile::Genesys);
    Overrides {
        today: overrides.today.or_else(|| Some("2026-12-09".into())),
        ..overrides
    }
    .apply(&mut config)
    .unwrap();
    config
}

/// The genesys profile with `agents`, on 2026-12-09, its updates done in 200 ms.
pub fn genesys(agents: u32) -> Config {
    genesys_config(Overrides {
        agents: Some(agents),
        bulk_processing: Some(std::time::Duration::from_millis(200)),
        ..Overrides::default()
    })
}

/// A CSV input with one JSON schedule per agent.
pub fn csv_for(agents: &[String]) -> String {
    let mut text = String::from("userId,schedule\n");
    for agent in agents {
        text.push_str(&format!("{agent},\"{}\"\n", SCHEDULE.replace('"', "\"\"")));
    }
    text
}

/// `pacer` with the demo client's credentials in the environment (never in argv).
pub fn pacer(api: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pacer"));
    command
        .args(args)
        .arg("--api-url")
        .arg(api)
        .arg("--no-progress")
        .env("GENESYSCLOUD_OAUTHCLIENT_ID", "pacer-demo")
        .env("GENESYSCLOUD_OAUTHCLIENT_SECRET", "pacer-demo-secret")
        .env_remove("GENESYSCLOUD_REGION");
    command
}

/// Runs and returns (exit code, stdout, stderr with the folder replaced by `[DIR]`).
pub fn run(mut command: Command, dir: &Path) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("pacer runs");
    let clean = |bytes: Vec<u8>| {
        String::from_utf8_lossy(&bytes).replace(&dir.display().to_string(), "[DIR]")
    };
    (status.code().unwrap_or(-1), clean(stdout), clean(stderr))
}
