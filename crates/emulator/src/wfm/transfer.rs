//! The storage behind the signed URLs: uploads of schedule updates (gzip JSON under a single-use,
//! expiring key) and downloads of large query results. Neither takes a bearer token.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;

use crate::hash::FastMap;

/// The headers an upload must carry, exactly as the upload URL's answer declares them.
pub const UPLOAD_HEADERS: [(&str, &str); 3] = [
    ("Content-Type", "application/json"),
    ("Content-Encoding", "gzip"),
    ("x-amz-server-side-encryption", "AES256"),
];
/// Bytes of downloads kept at once; older ones are forgotten past it (clients read a download
/// right after they are given its URL, and a management unit's week is a few megabytes).
const MAX_DOWNLOAD_BYTES: usize = 64 * 1024 * 1024;
/// How long a download URL works.
pub const DOWNLOAD_LIFETIME: Duration = Duration::from_secs(600);

/// One upload slot.
#[derive(Debug)]
struct Upload {
    schedule_id: String,
    length: u64,
    expires: Duration,
    data: Option<Bytes>,
    used: bool,
}

/// Why an upload was refused, with the status the storage answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutRefusal {
    /// 404: no such key.
    Unknown,
    /// 403: the key's time is over.
    Expired,
    /// 403: a declared header is missing or differs.
    Header(&'static str),
    /// 400: the body's length is not the declared one.
    Length { declared: u64, got: u64 },
    /// 413: past the storage's cap.
    TooLarge { max: u64 },
    /// 400: the body is not gzip data.
    NotGzip,
}

impl PutRefusal {
    /// The HTTP status and the message of the refusal.
    pub fn answer(&self) -> (u16, String) {
        match self {
            PutRefusal::Unknown => (404, "The upload key is not known.".into()),
            PutRefusal::Expired => (
                403,
                "Request has expired: the upload key's time is over.".into(),
            ),
            PutRefusal::Header(name) => (
                403,
                format!(
                    "The request must carry the header {name} exactly as the upload URL's answer declared it."
                ),
            ),
            PutRefusal::Length { declared, got } => (
                400,
                format!(
                    "The body has {got} bytes but {declared} were declared in contentLengthBytes."
                ),
            ),
            PutRefusal::TooLarge { max } => (
                413,
                format!("The upload exceeds the maximum of {max} bytes."),
            ),
            PutRefusal::NotGzip => (400, "The upload must be gzip-compressed JSON.".into()),
        }
    }
}

/// Why a key could not be used for an update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyProblem {
    Unknown,
    Expired,
    Used,
    NotUploaded,
    OtherSchedule,
}

impl KeyProblem {
    /// What the update request's 400 says.
    pub fn message(self) -> &'static str {
        match self {
            KeyProblem::Unknown => "The uploadKey is not known.",
            KeyProblem::Expired => "The uploadKey has expired: request a new upload URL.",
            KeyProblem::Used => "The uploadKey was already used by an update.",
            KeyProblem::NotUploaded => "Nothing was uploaded with this uploadKey.",
            KeyProblem::OtherSchedule => "The uploadKey belongs to another schedule.",
        }
    }
}

/// Uploads and downloads.
#[derive(Debug, Default)]
pub struct Transfers {
    uploads: Mutex<FastMap<String, Upload>>,
    downloads: Mutex<VecDeque<(String, Duration, Bytes)>>,
}

impl Transfers {
    /// Opens an upload slot for `length` bytes to `schedule_id`, valid until `expires`.
    pub fn open(
        &self,
        key: String,
        schedule_id: String,
        length: u64,
        now: Duration,
        expires: Duration,
    ) {
        let mut uploads = self.uploads.lock().unwrap_or_else(|e| e.into_inner());
        uploads.retain(|_, u| u.expires > now && !u.used);
        uploads.insert(
            key,
            Upload {
                schedule_id,
                length,
                expires,
                data: None,
                used: false,
            },
        );
    }

    /// Stores an upload after checking its key, headers, length, size and encoding.
    pub fn put(
        &self,
        key: &str,
        headers: &HeaderMap,
        body: Bytes,
        max: u64,
        now: Duration,
    ) -> Result<(), PutRefusal> {
        let mut uploads = self.uploads.lock().unwrap_or_else(|e| e.into_inner());
        let upload = uploads.get_mut(key).ok_or(PutRefusal::Unknown)?;
        if now >= upload.expires || upload.used {
            return Err(PutRefusal::Expired);
        }
        for (name, value) in UPLOAD_HEADERS {
            if headers.get(name).and_then(|v| v.to_str().ok()) != Some(value) {
                return Err(PutRefusal::Header(name));
            }
        }
        let got = body.len() as u64;
        if got > max {
            return Err(PutRefusal::TooLarge { max });
        }
        if got != upload.length {
            return Err(PutRefusal::Length {
                declared: upload.length,
                got,
            });
        }
        if !body.starts_with(&[0x1f, 0x8b]) {
            return Err(PutRefusal::NotGzip);
        }
        upload.data = Some(body);
        Ok(())
    }

    /// Takes the upload of `key` for an update of `schedule_id`; the key cannot be used again.
    pub fn take(&self, key: &str, schedule_id: &str, now: Duration) -> Result<Bytes, KeyProblem> {
        let mut uploads = self.uploads.lock().unwrap_or_else(|e| e.into_inner());
        let upload = uploads.get_mut(key).ok_or(KeyProblem::Unknown)?;
        if upload.used {
            return Err(KeyProblem::Used);
        }
        if now >= upload.expires {
            return Err(KeyProblem::Expired);
        }
        if upload.schedule_id != schedule_id {
            return Err(KeyProblem::OtherSchedule);
        }
        let data = upload.data.take().ok_or(KeyProblem::NotUploaded)?;
        upload.used = true;
        Ok(data)
    }

    /// Keeps a download under `id` until `expires`, as written: each GET hands out the same
    /// bytes, neither copied nor compressed again.
    pub fn offer(&self, id: String, body: Vec<u8>, expires: Duration) {
        let body = Bytes::from(body);
        let mut downloads = self.downloads.lock().unwrap_or_else(|e| e.into_inner());
        let mut held: usize = downloads.iter().map(|(_, _, b)| b.len()).sum();
        while held + body.len() > MAX_DOWNLOAD_BYTES {
            let Some((_, _, oldest)) = downloads.pop_front() else {
                break;
            };
            held -= oldest.len();
        }
        downloads.push_back((id, expires, body));
    }

    /// The download of `id`, if it is still there.
    pub fn download(&self, id: &str, now: Duration) -> Option<Bytes> {
        let downloads = self.downloads.lock().unwrap_or_else(|e| e.into_inner());
        downloads
            .iter()
            .find(|(d, expires, _)| d == id && now < *expires)
            .map(|(_, _, body)| body.clone())
    }

    /// Forgets every upload and download.
    pub fn clear(&self) {
        self.uploads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        self.downloads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}
