//! `pacer emulate`: runs the Genesys Cloud emulator until Ctrl-C.

use clap::Args;

/// Arguments of `pacer emulate`.
#[derive(Debug, Args)]
pub struct EmulateArgs {}

pub fn run(_args: EmulateArgs) -> anyhow::Result<u8> {
    anyhow::bail!("emulate is being built")
}
