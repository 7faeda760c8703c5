//! The WFM requests of the schedule update, typed: each one an [`Executor::call`], so that it is
//! paced, retried and authenticated like every other request, and each answer checked.

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use pacer_genesys::ApiError;
use pacer_genesys::datetime::weekday_index;
use pacer_genesys::notifications::{Channel, ChannelTopic};
use pacer_genesys::wfm::{
    ActivityCode, BuAgentScheduleQueryResponse, BuAgentScheduleSearchResponse,
    BuAgentSchedulesSearchResponse, BuAsyncAgentSchedulesQueryResponse,
    BuAsyncAgentSchedulesSearchResponse, BuAsyncScheduleResponse, BuCreateBlankScheduleRequest,
    BuQueryAgentSchedulesRequest, BuScheduleMetadata, BuSearchAgentSchedulesRequest, BusinessUnit,
    BusinessUnitListItem, Entities, ManagementUnit, NamedRef, ProcessScheduleUpdateUploadRequest,
    UpdateScheduleUploadResponse, UploadUrlRequestBody, WFM_PREFIX,
};
use pacer_genesys::zone::Zone;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::executor::{Call, Executor, Target};
use crate::http::Response;

/// A business unit, resolved: what the update needs of it.
#[derive(Debug, Clone)]
pub struct Unit {
    pub id: String,
    pub name: String,
    /// 0 = Monday through 6 = Sunday.
    pub start_day: usize,
    /// The unit's time zone: its weeks run from local midnight to local midnight.
    pub zone: Zone,
    /// Its division's id, when the API says.
    pub division_id: Option<String>,
    pub codes: Vec<ActivityCode>,
    pub management_units: Vec<ManagementUnit>,
}

impl Unit {
    /// The id of an activity code named by id or by name (any case).
    pub fn code_id(&self, wanted: &str) -> Option<&str> {
        self.codes
            .iter()
            .find(|c| c.id == wanted)
            .or_else(|| {
                self.codes
                    .iter()
                    .find(|c| c.name.eq_ignore_ascii_case(wanted))
            })
            .map(|c| c.id.as_str())
    }

    /// The code used when a shift names none: the default on-queue work code, else the first.
    pub fn default_code(&self) -> Option<&ActivityCode> {
        self.codes
            .iter()
            .find(|c| c.category == "OnQueueWork" && c.default_code)
            .or_else(|| self.codes.iter().find(|c| c.category == "OnQueueWork"))
            .or_else(|| self.codes.first())
    }

    /// The name of an activity code id (for descriptions left out).
    pub fn code_name(&self, id: &str) -> Option<&str> {
        self.codes
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.name.as_str())
    }
}

/// How an update request was answered.
#[derive(Debug)]
pub enum UpdateAnswer {
    /// 202 (or 200): the operation runs.
    Accepted { operation_id: String },
    /// 409: the schedule changed since it was read.
    Conflict { message: String },
    /// 400 about the key: used already, expired, or unknown.
    KeyRefused { message: String },
}

/// The executor a run's requests go through: its own, or one several runs share (several
/// business units side by side, each request through the one pacer in turn).
pub enum Exec<'e> {
    Alone(&'e mut Executor),
    Shared(&'e tokio::sync::Mutex<Executor>),
    /// Reads only: every request but a GET and the read-only POSTs is refused before it leaves.
    ReadOnly(&'e mut Executor),
}

/// The POSTs that only read: queries and searches.
pub const READ_ONLY_POSTS: &[&str] = &[
    "POST agentschedules/query",
    "POST agentschedules/search",
    "POST users/search",
];

impl Exec<'_> {
    /// The same executor, borrowed for a shorter while.
    pub fn reborrow(&mut self) -> Exec<'_> {
        match self {
            Exec::Alone(exec) => Exec::Alone(exec),
            Exec::Shared(shared) => Exec::Shared(shared),
            Exec::ReadOnly(exec) => Exec::ReadOnly(exec),
        }
    }

    /// The TLS settings of the executor's HTTP client, which the notification socket shares.
    pub async fn tls(&self) -> std::sync::Arc<rustls::ClientConfig> {
        match self {
            Exec::Alone(exec) | Exec::ReadOnly(exec) => exec.http().tls(),
            Exec::Shared(shared) => shared.lock().await.http().tls(),
        }
    }

    /// Storage GETs sent beside the executor, while it sends its own requests.
    pub async fn beside(&self) -> crate::executor::Beside {
        match self {
            Exec::Alone(exec) | Exec::ReadOnly(exec) => exec.beside(),
            Exec::Shared(shared) => shared.lock().await.beside(),
        }
    }

    /// Keeps the record of a GET sent [`beside`](Exec::beside) with the executor's own.
    pub async fn keep_record(&mut self, record: crate::executor::RequestRecord) {
        match self {
            Exec::Alone(exec) | Exec::ReadOnly(exec) => exec.keep_record(record),
            Exec::Shared(shared) => shared.lock().await.keep_record(record),
        }
    }

    /// Sends `call` through the executor (waiting for a shared one's turn).
    pub async fn call(&mut self, call: &Call) -> Result<crate::executor::Called> {
        match self {
            Exec::Alone(exec) => exec.call(call).await,
            Exec::Shared(shared) => shared.lock().await.call(call).await,
            Exec::ReadOnly(exec) => {
                let reads = call.method == Method::GET || READ_ONLY_POSTS.contains(&call.endpoint);
                if !reads {
                    return Err(Error::Workflow(format!(
                        "read-only: refused to send {} ({})",
                        call.endpoint, call.method
                    )));
                }
                exec.call(call).await
            }
        }
    }
}

/// One management unit's agent-schedule query in a week's schedule: the agents it names
/// (`user_ids`), or all of them.
pub struct MuQuery<'q> {
    pub unit: &'q Unit,
    pub week: &'q str,
    pub schedule: &'q str,
    pub management_unit: &'q str,
    pub user_ids: Option<Vec<String>>,
}

impl<'q> MuQuery<'q> {
    /// Every agent of `management_unit` in `schedule`, the schedule of `week`.
    pub fn all(unit: &'q Unit, week: &'q str, schedule: &'q str, management_unit: &'q str) -> Self {
        MuQuery {
            unit,
            week,
            schedule,
            management_unit,
            user_ids: None,
        }
    }
}

/// A query's answer: its agents, or where to download them.
pub(super) enum Queried {
    Inline(Vec<BuAgentScheduleQueryResponse>),
    Download(String),
}

/// The typed requests.
pub struct Api<'e> {
    pub exec: Exec<'e>,
}

impl<'e> Api<'e> {
    /// The requests through an executor of one's own.
    pub fn new(exec: &'e mut Executor) -> Api<'e> {
        Api {
            exec: Exec::Alone(exec),
        }
    }
}

impl Api<'_> {
    pub(super) async fn json<T: DeserializeOwned>(&mut self, call: Call) -> Result<T> {
        let endpoint = call.endpoint;
        let response = self.exec.call(&call).await?.response;
        parse(endpoint, &response)
    }

    /// Resolves a business unit named by id or name, with its settings, codes and (when
    /// `with_management_units`) its management units.
    pub async fn resolve_unit(
        &mut self,
        wanted: &str,
        with_management_units: bool,
    ) -> Result<Unit> {
        let units = Entities {
            entities: self.list_units().await?,
        };
        let found = units
            .entities
            .iter()
            .find(|u| u.id == wanted)
            .or_else(|| {
                units
                    .entities
                    .iter()
                    .find(|u| u.name.eq_ignore_ascii_case(wanted))
            })
            .ok_or_else(|| {
                let names: Vec<&str> = units.entities.iter().map(|u| u.name.as_str()).collect();
                Error::Workflow(format!(
                    "no business unit is named or numbered `{wanted}` (the API lists: {})",
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    }
                ))
            })?;
        let id = found.id.clone();
        let detail: BusinessUnit = self
            .json(Call::get(
                format!(
                    "{WFM_PREFIX}/businessunits/{id}?expand=settings.startDayOfWeek%2Csettings.timeZone"
                ),
                "GET businessunits/{id}",
            ))
            .await?;
        let settings = detail
            .settings
            .unwrap_or(pacer_genesys::wfm::BusinessUnitSettings {
                start_day_of_week: None,
                time_zone: None,
            });
        let start_day = settings
            .start_day_of_week
            .as_deref()
            .and_then(weekday_index)
            .ok_or_else(|| Error::Unexpected {
                endpoint: "GET businessunits/{id}",
                reason: "the business unit's settings have no startDayOfWeek".into(),
            })?;
        let codes: Entities<ActivityCode> = self
            .json(Call::get(
                format!("{WFM_PREFIX}/businessunits/{id}/activitycodes"),
                "GET activitycodes",
            ))
            .await?;
        let management_units = if with_management_units {
            self.management_units(&id).await?
        } else {
            Vec::new()
        };
        let zone_name = settings.time_zone.unwrap_or_else(|| "Etc/UTC".into());
        let zone = Zone::named(&zone_name).map_err(|err| {
            Error::Workflow(format!(
                "business unit {}: its settings name an {err}",
                detail.name
            ))
        })?;
        Ok(Unit {
            division_id: detail.division.as_ref().map(|d| d.id.clone()),
            name: detail.name,
            id,
            start_day,
            zone,
            codes: codes.entities,
            management_units,
        })
    }

    /// Every business unit the client may see.
    pub async fn list_units(&mut self) -> Result<Vec<BusinessUnitListItem>> {
        let units: Entities<BusinessUnitListItem> = self
            .json(Call::get(
                format!("{WFM_PREFIX}/businessunits"),
                "GET businessunits",
            ))
            .await?;
        Ok(units.entities)
    }

    /// The management units of a business unit.
    pub async fn management_units(&mut self, unit_id: &str) -> Result<Vec<ManagementUnit>> {
        let units: Entities<ManagementUnit> = self
            .json(Call::get(
                format!("{WFM_PREFIX}/businessunits/{unit_id}/managementunits"),
                "GET managementunits",
            ))
            .await?;
        Ok(units.entities)
    }

    /// The schedules of a week.
    pub async fn week_schedules(
        &mut self,
        unit: &Unit,
        week: &str,
    ) -> Result<Vec<BuScheduleMetadata>> {
        let listing: Entities<BuScheduleMetadata> = self
            .json(Call::get(
                format!(
                    "{WFM_PREFIX}/businessunits/{}/weeks/{week}/schedules",
                    unit.id
                ),
                "GET weeks/{weekId}/schedules",
            ))
            .await?;
        Ok(listing.entities)
    }

    /// A schedule's metadata (its version tells whether an update went through).
    pub async fn schedule(
        &mut self,
        unit: &Unit,
        week: &str,
        schedule: &str,
    ) -> Result<BuScheduleMetadata> {
        self.json(Call::get(
            schedule_path(unit, week, schedule, ""),
            "GET schedules/{scheduleId}",
        ))
        .await
    }

    /// Creates a blank schedule for a week.
    pub async fn create_schedule(&mut self, unit: &Unit, week: &str) -> Result<BuScheduleMetadata> {
        let body = BuCreateBlankScheduleRequest {
            description: format!("Created by pacer for the week of {week}"),
            week_count: 1,
            short_term_forecast: None,
        };
        self.json(Call::post(
            format!(
                "{WFM_PREFIX}/businessunits/{}/weeks/{week}/schedules",
                unit.id
            ),
            to_json(&body),
            "POST weeks/{weekId}/schedules",
        ))
        .await
    }

    /// The agent schedules of a management unit in a schedule (inline or by download).
    pub async fn query_agents(
        &mut self,
        query: MuQuery<'_>,
    ) -> Result<Vec<BuAgentScheduleQueryResponse>> {
        let mut agents = Vec::new();
        self.query_each(query, &mut |a, _| agents.push(a)).await?;
        Ok(agents)
    }

    /// The agent schedules of a management unit in a schedule, each handed to `each` as it is
    /// parsed (with its bytes, when it came in a download): a download is read an agent at a
    /// time, never held as a whole.
    pub async fn query_each(
        &mut self,
        query: MuQuery<'_>,
        each: &mut dyn FnMut(BuAgentScheduleQueryResponse, Option<&[u8]>),
    ) -> Result<()> {
        match self.query(query).await? {
            Queried::Inline(agents) => {
                for agent in agents {
                    each(agent, None);
                }
                Ok(())
            }
            Queried::Download(url) => self.download_each(&url, each).await,
        }
    }

    /// A management unit's query: its agents inline, or the URL to download them from.
    pub(super) async fn query(&mut self, query: MuQuery<'_>) -> Result<Queried> {
        let MuQuery {
            unit,
            week,
            schedule,
            management_unit,
            user_ids,
        } = query;
        let body = BuQueryAgentSchedulesRequest {
            management_unit_id: management_unit.to_string(),
            user_ids,
            team_ids: None,
        };
        let answer: BuAsyncAgentSchedulesQueryResponse = self
            .json(Call::post(
                schedule_path(unit, week, schedule, "/agentschedules/query"),
                to_json(&body),
                "POST agentschedules/query",
            ))
            .await?;
        match (answer.result, answer.download_url) {
            (Some(result), _) => Ok(Queried::Inline(result.agent_schedules)),
            (None, Some(url)) => Ok(Queried::Download(url)),
            (None, None) => Err(Error::Unexpected {
                endpoint: "POST agentschedules/query",
                reason: format!(
                    "status {:?} with neither a result nor a download URL",
                    answer.status
                ),
            }),
        }
    }

    /// The unit's published agent schedules starting in `[from, to)`, and the published
    /// schedules they were read from.
    pub async fn search_all(
        &mut self,
        unit: &Unit,
        from: &str,
        to: &str,
        user_ids: Option<Vec<String>>,
    ) -> Result<BuAgentSchedulesSearchResponse> {
        let answer = self.search(unit, from, to, user_ids).await?;
        let result: BuAgentSchedulesSearchResponse = match (answer.result, answer.download_url) {
            (Some(result), _) => result,
            (None, Some(url)) => self.download(&url).await?,
            (None, None) => return Err(no_search_result()),
        };
        Ok(result)
    }

    /// The unit's published agent schedules starting in `[from, to)`, each agent handed to
    /// `each` as it is parsed: a download is read as it arrives, never held as a whole.
    pub async fn search_each(
        &mut self,
        unit: &Unit,
        from: &str,
        to: &str,
        each: &mut dyn FnMut(BuAgentScheduleSearchResponse),
    ) -> Result<()> {
        let answer = self.search(unit, from, to, None).await?;
        match (answer.result, answer.download_url) {
            (Some(result), _) => result.agent_schedules.into_iter().for_each(each),
            (None, Some(url)) => self.download_each(&url, &mut |a, _| each(a)).await?,
            (None, None) => return Err(no_search_result()),
        }
        Ok(())
    }

    /// The search request: its answer holds the result, or says where to download it.
    async fn search(
        &mut self,
        unit: &Unit,
        from: &str,
        to: &str,
        user_ids: Option<Vec<String>>,
    ) -> Result<BuAsyncAgentSchedulesSearchResponse> {
        let body = BuSearchAgentSchedulesRequest {
            start_date: from.to_string(),
            end_date: to.to_string(),
            user_ids,
        };
        self.json(Call::post(
            format!(
                "{WFM_PREFIX}/businessunits/{}/agentschedules/search",
                unit.id
            ),
            to_json(&body),
            "POST agentschedules/search",
        ))
        .await
    }

    /// The members of a management unit.
    pub async fn members(&mut self, management_unit: &str) -> Result<Vec<NamedRef>> {
        let listing: Entities<NamedRef> = self
            .json(Call::get(
                format!("{WFM_PREFIX}/managementunits/{management_unit}/users"),
                "GET managementunits/{id}/users",
            ))
            .await?;
        Ok(listing.entities)
    }

    async fn download<T: DeserializeOwned>(&mut self, url: &str) -> Result<T> {
        self.json(download_call(url)).await
    }

    /// Asks for an upload URL for `length` bytes.
    pub async fn upload_url(
        &mut self,
        unit: &Unit,
        week: &str,
        schedule: &str,
        length: u64,
    ) -> Result<UpdateScheduleUploadResponse> {
        let body = UploadUrlRequestBody {
            content_length_bytes: length,
        };
        self.json(Call::post(
            schedule_path(unit, week, schedule, "/update/uploadurl"),
            to_json(&body),
            "POST update/uploadurl",
        ))
        .await
    }

    /// PUTs the gzip data to the upload URL with exactly the headers it declared.
    pub async fn put_upload(
        &mut self,
        target: &UpdateScheduleUploadResponse,
        data: Bytes,
    ) -> Result<()> {
        let mut headers = HeaderMap::new();
        for (name, value) in &target.headers {
            let name = HeaderName::from_bytes(name.as_bytes());
            let value = HeaderValue::from_str(value);
            if let (Ok(name), Ok(value)) = (name, value) {
                headers.insert(name, value);
            }
        }
        let call = Call {
            method: Method::PUT,
            target: Target::Storage {
                url: target.url.clone(),
                headers,
            },
            body: Some(data),
            endpoint: "PUT upload",
            sink: None,
        };
        let response = self.exec.call(&call).await?.response;
        if (200..300).contains(&response.status) {
            Ok(())
        } else {
            Err(api_error("PUT upload", &response))
        }
    }

    /// Asks the service to apply an upload.
    pub async fn update(
        &mut self,
        unit: &Unit,
        week: &str,
        schedule: &str,
        key: &str,
    ) -> Result<UpdateAnswer> {
        let body = ProcessScheduleUpdateUploadRequest {
            upload_key: key.to_string(),
            team_ids: None,
            management_unit_ids_for_added_team_users: None,
        };
        let call = Call::post(
            schedule_path(unit, week, schedule, "/update"),
            to_json(&body),
            "POST update",
        );
        let response = self.exec.call(&call).await?.response;
        match response.status {
            200..=299 => {
                let answer: BuAsyncScheduleResponse = parse("POST update", &response)?;
                let operation_id = answer.operation_id.ok_or_else(|| Error::Unexpected {
                    endpoint: "POST update",
                    reason: "no operationId".into(),
                })?;
                Ok(UpdateAnswer::Accepted { operation_id })
            }
            409 => Ok(UpdateAnswer::Conflict {
                message: error_message(&response),
            }),
            400 if error_message(&response).contains("uploadKey") => Ok(UpdateAnswer::KeyRefused {
                message: error_message(&response),
            }),
            _ => Err(api_error("POST update", &response)),
        }
    }

    /// Opens a notification channel.
    pub async fn create_channel(&mut self) -> Result<Channel> {
        self.json(Call::post(
            "/api/v2/notifications/channels",
            Bytes::from_static(b"null"),
            "POST notifications/channels",
        ))
        .await
    }

    /// Subscribes a channel to `topics`.
    pub async fn subscribe(&mut self, channel: &str, topics: &[String]) -> Result<()> {
        let body: Vec<ChannelTopic> = topics.iter().map(ChannelTopic::named).collect();
        let call = Call {
            method: Method::PUT,
            target: Target::Api(format!(
                "/api/v2/notifications/channels/{channel}/subscriptions"
            )),
            body: Some(to_json(&body)),
            endpoint: "PUT channels/{id}/subscriptions",
            sink: None,
        };
        let _: Entities<ChannelTopic> = self.json(call).await?;
        Ok(())
    }
}

/// A search answered with neither a result nor a download URL.
fn no_search_result() -> Error {
    Error::Unexpected {
        endpoint: "POST agentschedules/search",
        reason: "neither a result nor a download URL".into(),
    }
}

/// The GET of a download URL (signed: no bearer token).
pub(super) fn download_call(url: &str) -> Call {
    Call {
        method: Method::GET,
        target: Target::Storage {
            url: url.to_string(),
            headers: HeaderMap::new(),
        },
        body: None,
        endpoint: "GET download",
        sink: None,
    }
}

/// The path of a schedule, with `rest` appended.
fn schedule_path(unit: &Unit, week: &str, schedule: &str, rest: &str) -> String {
    format!(
        "{WFM_PREFIX}/businessunits/{}/weeks/{week}/schedules/{schedule}{rest}",
        unit.id
    )
}

pub(super) fn to_json<T: serde::Serialize>(value: &T) -> Bytes {
    // The wire types serialize infallibly (no maps with non-string keys, no failing impls).
    Bytes::from(serde_json::to_vec(value).unwrap_or_default())
}

/// A 2xx answer's body as `T`, or the error the answer tells.
fn parse<T: DeserializeOwned>(endpoint: &'static str, response: &Response) -> Result<T> {
    if !(200..300).contains(&response.status) {
        return Err(api_error(endpoint, response));
    }
    serde_json::from_slice(&response.body).map_err(|err| Error::Unexpected {
        endpoint,
        reason: err.to_string(),
    })
}

/// The message of an error answer: the Genesys body's, else the start of the body.
fn error_message(response: &Response) -> String {
    match serde_json::from_slice::<ApiError>(&response.body) {
        Ok(error) if !error.message.is_empty() => error.message,
        _ => String::from_utf8_lossy(&response.body[..response.body.len().min(200)]).into_owned(),
    }
}

pub(super) fn api_error(endpoint: &'static str, response: &Response) -> Error {
    Error::Api {
        endpoint,
        status: response.status,
        message: error_message(response),
    }
}
