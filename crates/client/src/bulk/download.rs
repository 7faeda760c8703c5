//! A download's agents read as its body arrives: the body streams through a bounded sink while
//! each agent is split out, parsed and handed over with its bytes, so that the server's sending
//! and the parsing overlap and only the agent being read is held. A download goes through the
//! executor (its retries and records), or beside it, once, while the executor sends the next
//! query (the caller then retries through the executor if that one attempt failed).

use pacer_genesys::wfm::BuAgentScheduleQueryResponse;
use serde::de::DeserializeOwned;
use tokio::sync::mpsc::Receiver;

use super::agents::{Malformed, Splitter};
use super::api::{Api, api_error, download_call};
use crate::body_sink::{Chunk, body_sink};
use crate::error::{Error, Result};
use crate::executor::{Beside, RequestRecord};
use crate::http::Response;

/// What takes each agent of a download, with its bytes.
pub(super) type Each<'e, T> = dyn FnMut(T, Option<&[u8]>) + 'e;

impl Api<'_> {
    /// Reads a download's agents through the executor, retried as any call of the run.
    pub(super) async fn download_each<T: DeserializeOwned>(
        &mut self,
        url: &str,
        each: &mut Each<'_, T>,
    ) -> Result<()> {
        let (sink, chunks) = body_sink();
        let mut call = download_call(url);
        call.sink = Some(sink);
        let mut exec = self.exec.reborrow();
        let send = async move {
            let called = exec.call(&call).await;
            // The sink goes with the call: the reader sees the channel close once it is done.
            drop(call);
            called.map(|called| called.response)
        };
        let (response, read) = tokio::join!(send, read_agents(chunks, each));
        whole(response?, read)
    }
}

/// Reads a management unit's download beside the executor, once: how it ended, and its record.
pub(super) async fn download_beside(
    beside: &Beside,
    url: &str,
    each: &mut Each<'_, BuAgentScheduleQueryResponse>,
) -> (Result<()>, RequestRecord) {
    let (sink, chunks) = body_sink();
    let send = async move {
        // The sink lives as long as the GET: the reader sees the channel close once it is done.
        let sink = sink;
        beside.get(url, Some(&sink), "GET download").await
    };
    let ((response, record), read) = tokio::join!(send, read_agents(chunks, each));
    (response.and_then(|response| whole(response, read)), record)
}

/// Splits and parses the chunks of a body as they come; whether a body ended whole.
async fn read_agents<T: DeserializeOwned>(
    mut chunks: Receiver<Chunk>,
    each: &mut Each<'_, T>,
) -> std::result::Result<bool, Malformed> {
    let mut splitter = Splitter::default();
    let mut take = |agent: T, bytes: &[u8]| -> std::result::Result<(), Malformed> {
        each(agent, Some(bytes));
        Ok(())
    };
    let mut ended = false;
    while let Some(chunk) = chunks.recv().await {
        match chunk {
            Chunk::Start => (splitter, ended) = (Splitter::default(), false),
            Chunk::Data(bytes) => splitter.feed(&bytes, &mut take)?,
            Chunk::End => {
                splitter.finish()?;
                ended = true;
            }
        }
    }
    Ok(ended)
}

/// A download's end: a success whose body was read whole, or why not.
fn whole(response: Response, read: std::result::Result<bool, Malformed>) -> Result<()> {
    if !(200..300).contains(&response.status) {
        return Err(api_error("GET download", &response));
    }
    match read {
        Ok(true) => Ok(()),
        Ok(false) => Err(Error::Unexpected {
            endpoint: "GET download",
            reason: "the body did not end".into(),
        }),
        Err(reason) => Err(Error::Unexpected {
            endpoint: "GET download",
            reason,
        }),
    }
}
