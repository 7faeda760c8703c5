//! The real schedule path over HTTP and a real WebSocket: units, weeks, queries, the upload, the
//! update, its notification, and every failure in the real API's shape.

use std::io::Write as _;
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use pacer_emulator::{Config, Overrides, Probability, Profile, Rate};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::support::{Answer, Emu, read, start};

/// A Wednesday: the Monday week of the emulator's units is 2026-12-07.
const TODAY: &str = "2026-12-09";
const WEEK: &str = "2026-12-07";
pub const WFM: &str = "/api/v2/workforcemanagement";

/// The genesys profile without limits, a fixed today and a short processing time.
pub fn wfm_config(agents: u32, edit: impl FnOnce(&mut Overrides)) -> Config {
    profile_config(Profile::Genesys, agents, edit)
}

/// `profile` without limits, a fixed today and a short processing time.
pub fn profile_config(profile: Profile, agents: u32, edit: impl FnOnce(&mut Overrides)) -> Config {
    let mut config = Config::profile(profile);
    let mut overrides = Overrides {
        agents: Some(agents),
        no_limits: true,
        today: Some(TODAY.into()),
        bulk_processing: Some(Duration::from_millis(50)),
        ..Overrides::default()
    };
    edit(&mut overrides);
    overrides.apply(&mut config).unwrap();
    config
}

/// `config` with error detail: a failed update's notification says which agent failed and why.
pub fn told(mut config: Config) -> Config {
    config.wfm.error_detail = Some(true);
    config
}

/// What a test learns of the organization before it writes.
pub struct Unit {
    pub name: String,
    pub bu: String,
    pub mu: String,
    pub schedule: String,
    pub version: u64,
    pub work: String,
    /// The schedule's week.
    pub week: String,
}

impl Unit {
    pub fn schedule_path(&self, rest: &str) -> String {
        format!(
            "{WFM}/businessunits/{}/weeks/{}/schedules/{}{rest}",
            self.bu, self.week, self.schedule
        )
    }
}

pub async fn post(emu: &Emu, token: &str, path: &str, body: Value) -> Answer {
    let request = emu
        .http
        .post(emu.url(path))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string());
    read(request.send().await.unwrap()).await
}

/// Lists the units and reads the first week's published schedule, as a client would.
pub async fn discover(emu: &Emu, token: &str) -> Unit {
    let unit = unit_at(emu, token, 0, WEEK).await;
    assert_eq!(unit.name, "North");
    unit
}

/// Reads business unit `index`: its first management unit, its Work code and the published
/// schedule of `week`.
pub async fn unit_at(emu: &Emu, token: &str, index: usize, week: &str) -> Unit {
    let units = emu.get(Some(token), &format!("{WFM}/businessunits")).await;
    assert_eq!(units.status, 200, "{}", units.text);
    let entity = &units.body["entities"][index];
    let bu = entity["id"].as_str().unwrap().to_string();
    assert!(entity["division"]["id"].is_string());
    let mus = emu
        .get(
            Some(token),
            &format!("{WFM}/businessunits/{bu}/managementunits"),
        )
        .await;
    let mu = mus.body["entities"][0]["id"].as_str().unwrap().to_string();
    let codes = emu
        .get(
            Some(token),
            &format!("{WFM}/businessunits/{bu}/activitycodes"),
        )
        .await;
    let work = codes.body["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Work")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let listing = emu
        .get(
            Some(token),
            &format!("{WFM}/businessunits/{bu}/weeks/{week}/schedules?includeOnlyPublished=true"),
        )
        .await;
    assert_eq!(listing.status, 200, "{}", listing.text);
    let schedule = &listing.body["entities"][0];
    assert_eq!(schedule["weekDate"], week);
    assert_eq!(schedule["published"], true);
    Unit {
        name: entity["name"].as_str().unwrap().to_string(),
        bu,
        mu,
        schedule: schedule["id"].as_str().unwrap().to_string(),
        version: schedule["metadata"]["version"].as_u64().unwrap(),
        work,
        week: week.to_string(),
    }
}

/// One eight-hour shift of Work on the week's Tuesday, starting at `hour` UTC.
pub fn shift(unit: &Unit, hour: u32) -> Value {
    let start = format!("2026-12-08T{hour:02}:00:00Z");
    json!({"startDate": start, "lengthMinutes": 480, "activities": [
        {"startDate": start, "lengthMinutes": 480, "activityCodeId": unit.work, "description": "Work"}
    ]})
}

pub fn gzip(value: &Value) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(value.to_string().as_bytes()).unwrap();
    encoder.finish().unwrap()
}

/// Asks for an upload URL and PUTs `data` there with the declared headers; returns the key.
pub async fn upload(emu: &Emu, token: &str, unit: &Unit, data: &[u8]) -> (String, u16) {
    let url = post(
        emu,
        token,
        &unit.schedule_path("/update/uploadurl"),
        json!({"contentLengthBytes": data.len()}),
    )
    .await;
    assert_eq!(url.status, 200, "{}", url.text);
    let key = url.body["uploadKey"].as_str().unwrap().to_string();
    let mut put = emu.http.put(url.body["url"].as_str().unwrap());
    for (name, value) in url.body["headers"].as_object().unwrap() {
        put = put.header(name, value.as_str().unwrap());
    }
    let status = put
        .body(data.to_vec())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    (key, status)
}

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a channel subscribed to `topics` and connects its socket.
pub async fn channel(emu: &Emu, token: &str, topics: &[String]) -> (String, Socket) {
    let created = post(emu, token, "/api/v2/notifications/channels", Value::Null).await;
    assert_eq!(created.status, 200, "{}", created.text);
    let id = created.body["id"].as_str().unwrap().to_string();
    let uri = created.body["connectUri"].as_str().unwrap().to_string();
    assert!(uri.starts_with("ws://127.0.0.1:"), "{uri}");
    let body: Vec<Value> = topics.iter().map(|t| json!({"id": t})).collect();
    let subscribed = emu
        .http
        .put(emu.url(&format!(
            "/api/v2/notifications/channels/{id}/subscriptions"
        )))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(Value::Array(body).to_string())
        .send()
        .await
        .unwrap();
    let subscribed = read(subscribed).await;
    assert_eq!(subscribed.status, 200, "{}", subscribed.text);
    for entity in subscribed.body["entities"].as_array().unwrap() {
        assert_eq!(entity["state"], "Permitted", "{}", subscribed.text);
    }
    let (socket, _) = tokio_tungstenite::connect_async(uri).await.unwrap();
    (id, socket)
}

/// The next event on `topic`, skipping heartbeats; `None` when the socket closes first.
pub async fn next_event(socket: &mut Socket, topic: &str) -> Option<Value> {
    let wait = async {
        while let Some(message) = socket.next().await {
            match message {
                Ok(Message::Text(text)) => {
                    let event: Value = serde_json::from_str(&text).unwrap();
                    if event["topicName"] == topic {
                        return Some(event);
                    }
                }
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
        None
    };
    tokio::time::timeout(Duration::from_secs(20), wait)
        .await
        .expect("an event or the socket's end within 20 s")
}

pub fn topic(unit: &Unit) -> String {
    format!("v2.workforcemanagement.businessunits.{}.schedules", unit.bu)
}

/// Sends an update of `agents` (index, with its current version) and returns the answer.
pub async fn update(emu: &Emu, token: &str, unit: &Unit, agents: Value) -> Answer {
    let data = gzip(&json!({"metadata": {"version": unit.version}, "agentSchedules": agents}));
    let (key, status) = upload(emu, token, unit, &data).await;
    assert_eq!(status, 200);
    post(
        emu,
        token,
        &unit.schedule_path("/update"),
        json!({"uploadKey": key}),
    )
    .await
}

#[tokio::test]
async fn the_whole_schedule_path_writes_agents_and_tells_completion_on_the_socket() {
    let emu = start(wfm_config(40, |_| {})).await;
    let token = emu.token().await;
    let unit = discover(&emu, &token).await;
    let settings = emu
        .get(
            Some(&token),
            &format!(
                "{WFM}/businessunits/{}?expand=settings.startDayOfWeek%2Csettings.timeZone",
                unit.bu
            ),
        )
        .await;
    assert_eq!(settings.body["settings"]["startDayOfWeek"], "Monday");
    assert_eq!(settings.body["settings"]["timeZone"], "America/New_York");
    let plain = emu
        .get(Some(&token), &format!("{WFM}/businessunits/{}", unit.bu))
        .await;
    assert!(plain.body.get("settings").is_none(), "{}", plain.text);
    let members = emu
        .get(
            Some(&token),
            &format!("{WFM}/managementunits/{}/users", unit.mu),
        )
        .await;
    assert_eq!(members.body["entities"].as_array().unwrap().len(), 40);
    let place = emu
        .get(
            Some(&token),
            &format!("{WFM}/agents/{}/managementunit", emu.agent(5)),
        )
        .await;
    assert_eq!(place.body["managementUnit"]["id"], unit.mu.as_str());
    assert_eq!(place.body["businessUnit"]["id"], unit.bu.as_str());

    let (a, b) = (emu.agent(1), emu.agent(2));
    let query = post(
        &emu,
        &token,
        &unit.schedule_path("/agentschedules/query"),
        json!({"managementUnitId": unit.mu, "userIds": [a, b]}),
    )
    .await;
    assert_eq!(query.status, 200, "{}", query.text);
    let before = &query.body["result"]["agentSchedules"];
    assert_eq!(before.as_array().unwrap().len(), 2);
    assert_eq!(before[0]["user"]["id"], a.as_str());
    assert_eq!(before[0]["metadata"]["version"], 1);
    assert_eq!(before[0]["shifts"].as_array().unwrap().len(), 5);

    let (_, mut socket) = channel(&emu, &token, &[topic(&unit)]).await;
    let answer = update(
        &emu,
        &token,
        &unit,
        json!([
            {"userId": a, "shifts": [shift(&unit, 9)], "metadata": {"version": 1}},
            {"userId": b, "shifts": [shift(&unit, 10), shift(&unit, 20)], "metadata": {"version": 1}},
        ]),
    )
    .await;
    assert_eq!(answer.status, 202, "{}", answer.text);
    assert_eq!(answer.body["status"], "Processing");
    let operation = answer.body["operationId"].as_str().unwrap().to_string();
    let event = next_event(&mut socket, &topic(&unit))
        .await
        .expect("an event");
    let body = &event["eventBody"];
    assert_eq!(body["status"], "Complete", "{event}");
    assert_eq!(body["operationId"], operation.as_str());
    assert_eq!(body["eventType"], "Update");
    assert_eq!(body["result"]["metadata"]["version"], unit.version + 1);

    let after = post(
        &emu,
        &token,
        &unit.schedule_path("/agentschedules/query"),
        json!({"managementUnitId": unit.mu, "userIds": [a, b]}),
    )
    .await;
    let agents = &after.body["result"]["agentSchedules"];
    assert_eq!(agents[0]["metadata"]["version"], 2);
    assert_eq!(agents[0]["shifts"][0]["startDate"], "2026-12-08T09:00:00Z");
    assert_eq!(
        agents[0]["shifts"][0]["activities"][0]["activityCodeId"],
        unit.work.as_str()
    );
    assert_eq!(agents[1]["shifts"].as_array().unwrap().len(), 2);
    let search = post(
        &emu,
        &token,
        &format!("{WFM}/businessunits/{}/agentschedules/search", unit.bu),
        json!({"startDate": "2026-12-07T00:00:00Z", "endDate": "2026-12-14T00:00:00Z", "userIds": [a, b]}),
    )
    .await;
    assert_eq!(search.status, 200, "{}", search.text);
    let found = &search.body["result"]["agentSchedules"];
    assert_eq!(found[0]["shifts"][0]["startDate"], "2026-12-08T09:00:00Z");
    assert_eq!(found[1]["shifts"].as_array().unwrap().len(), 2);
    assert_eq!(
        search.body["result"]["publishedSchedules"][0]["id"],
        unit.schedule.as_str()
    );
    let stats = emu.stats().await;
    assert_eq!(
        (
            stats.uploads,
            stats.updates_started,
            stats.updates_completed,
            stats.updates_failed
        ),
        (1, 1, 1, 0)
    );
    assert_eq!((stats.users_written, stats.max_writes_per_user), (2, 1));
    assert_eq!(stats.notifications_sent, 1);
}

#[tokio::test]
async fn requests_in_the_wrong_shape_get_the_real_apis_errors() {
    let emu = start(wfm_config(10, |_| {})).await;
    let token = emu.token().await;
    let unit = discover(&emu, &token).await;
    let tuesday = emu
        .get(
            Some(&token),
            &format!("{WFM}/businessunits/{}/weeks/2026-12-08/schedules", unit.bu),
        )
        .await;
    assert_eq!(tuesday.status, 400);
    assert_eq!(tuesday.body["code"], "bad.request");
    let message = tuesday.body["message"].as_str().unwrap();
    assert!(
        message.contains("Tuesday") && message.contains("start on Monday"),
        "{message}"
    );
    let missing = emu
        .get(
            Some(&token),
            &format!(
                "{WFM}/businessunits/{}/weeks/{WEEK}/schedules/nope",
                unit.bu
            ),
        )
        .await;
    assert_eq!(
        (missing.status, missing.body["code"].as_str()),
        (404, Some("not.found"))
    );
    let unauthenticated = emu.get(None, &format!("{WFM}/businessunits")).await;
    assert_eq!(unauthenticated.status, 401);
    let bad_token = emu.get(Some("nope"), &format!("{WFM}/businessunits")).await;
    assert_eq!(bad_token.body["code"], "bad.credentials");

    // A stale schedule version is refused at the update request.
    let stale = Unit {
        version: unit.version + 7,
        ..discover(&emu, &token).await
    };
    let refused = update(&emu, &token, &stale, json!([])).await;
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert_eq!(refused.body["code"], "conflict");

    // Another editor's touch makes the version read before it stale.
    let touch = emu
        .http
        .post(emu.url(&format!("/__emulator/schedules/{}/touch", unit.schedule)))
        .send()
        .await
        .unwrap();
    assert_eq!(touch.status(), 200);
    let touched = update(&emu, &token, &unit, json!([])).await;
    assert_eq!(touched.status, 409, "{}", touched.text);
    let unit = discover(&emu, &token).await;

    // The upload: declared headers, declared length, gzip, single use.
    let data = gzip(&json!({"metadata": {"version": unit.version}, "agentSchedules": []}));
    let url = post(
        &emu,
        &token,
        &unit.schedule_path("/update/uploadurl"),
        json!({"contentLengthBytes": data.len()}),
    )
    .await;
    let target = url.body["url"].as_str().unwrap();
    let bare = emu
        .http
        .put(target)
        .body(data.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 403, "the declared headers are required");
    let mut short = emu.http.put(target);
    for (name, value) in url.body["headers"].as_object().unwrap() {
        short = short.header(name, value.as_str().unwrap());
    }
    let short = short.body(data[..5].to_vec()).send().await.unwrap();
    assert_eq!(short.status(), 400, "the declared length is enforced");
    let plain = json!({"metadata": {"version": unit.version}})
        .to_string()
        .into_bytes();
    let (_, not_gzip) = upload(&emu, &token, &unit, &plain).await;
    assert_eq!(not_gzip, 400);
    let (key, ok) = upload(&emu, &token, &unit, &data).await;
    assert_eq!(ok, 200);
    let first = post(
        &emu,
        &token,
        &unit.schedule_path("/update"),
        json!({"uploadKey": key}),
    )
    .await;
    assert_eq!(first.status, 202, "{}", first.text);
    let again = post(
        &emu,
        &token,
        &unit.schedule_path("/update"),
        json!({"uploadKey": key}),
    )
    .await;
    assert_eq!(again.status, 400);
    assert!(again.text.contains("already used"), "{}", again.text);
    let stats = emu.stats().await;
    assert_eq!(stats.updates_started, 1);
}

#[tokio::test]
async fn uploads_past_the_size_cap_answer_413() {
    let mut config = wfm_config(10, |_| {});
    config.wfm.upload_bytes_max = 64;
    let emu = start(config).await;
    let token = emu.token().await;
    let unit = discover(&emu, &token).await;
    let (_, status) = upload(&emu, &token, &unit, &[0x1f; 65]).await;
    assert_eq!(status, 413);
}

/// Uploads of one agent that each fail a check, and what the check's message says.
fn bad_agents(emu: &Emu, unit: &Unit) -> [(Value, &'static str); 5] {
    let a = emu.agent(1);
    let mut outside = shift(unit, 9);
    outside["startDate"] = json!("2026-12-20T09:00:00Z");
    let mut unknown_code = shift(unit, 9);
    unknown_code["activities"][0]["activityCodeId"] = json!("no-such-code");
    [
        (
            json!([{"userId": a, "shifts": [shift(unit, 9)]}]),
            "metadata.version is required",
        ),
        (
            json!([{"userId": a, "shifts": [shift(unit, 9)], "metadata": {"version": 5}}]),
            "is stale",
        ),
        (
            json!([{"userId": "00000000-0000-4000-8000-000000000000", "shifts": []}]),
            "not in business unit North",
        ),
        (
            json!([{"userId": a, "shifts": [unknown_code], "metadata": {"version": 1}}]),
            "activityCodeId",
        ),
        (
            json!([{"userId": a, "shifts": [outside], "metadata": {"version": 1}}]),
            "outside the schedule's weeks",
        ),
    ]
}

#[tokio::test]
async fn bad_agents_codes_versions_and_weeks_end_the_operation_in_error() {
    // With error detail the message says which agent failed and why; without it (the genesys
    // profile's default, as the real API) the error is bare, but for a stale version.
    for detail in [true, false] {
        let mut config = wfm_config(10, |_| {});
        config.wfm.error_detail = Some(detail);
        let emu = start(config).await;
        let token = emu.token().await;
        let unit = discover(&emu, &token).await;
        let (_, mut socket) = channel(&emu, &token, &[topic(&unit)]).await;
        for (agents, reason) in bad_agents(&emu, &unit) {
            let answer = update(&emu, &token, &unit, agents).await;
            assert_eq!(answer.status, 202, "{}", answer.text);
            let event = next_event(&mut socket, &topic(&unit))
                .await
                .expect("an event");
            let body = &event["eventBody"];
            assert_eq!(body["status"], "Error", "{event}");
            assert!(body["result"].is_null());
            if detail || reason == "is stale" {
                let message = body["error"]["message"].as_str().unwrap();
                assert!(message.contains(reason), "{message} should say {reason}");
            } else {
                assert!(body.get("error").is_none(), "{event}");
            }
        }
        let stats = emu.stats().await;
        assert_eq!((stats.updates_failed, stats.users_written), (5, 0));
    }
}

#[tokio::test]
async fn a_schedule_modified_while_processing_is_told_even_in_genesys() {
    // Two updates made against the same version, both accepted before either is processed:
    // the first processed completes, the other finds the schedule changed meanwhile.
    let config = wfm_config(10, |o| {
        o.bulk_processing = Some(Duration::from_millis(300));
    });
    let emu = start(config).await;
    let token = emu.token().await;
    let unit = discover(&emu, &token).await;
    let (_, mut socket) = channel(&emu, &token, &[topic(&unit)]).await;
    let mut keys = Vec::new();
    for agent in [1, 2] {
        let entry = json!({"userId": emu.agent(agent), "metadata": {"version": 1},
                           "shifts": [shift(&unit, 9)]});
        let data = gzip(&json!({"metadata": {"version": unit.version}, "agentSchedules": [entry]}));
        let (key, status) = upload(&emu, &token, &unit, &data).await;
        assert_eq!(status, 200);
        keys.push(key);
    }
    for key in keys {
        let path = unit.schedule_path("/update");
        let answer = post(&emu, &token, &path, json!({"uploadKey": key})).await;
        assert_eq!(answer.status, 202, "{}", answer.text);
    }
    let mut ended = Vec::new();
    for _ in 0..2 {
        let event = next_event(&mut socket, &topic(&unit)).await.unwrap();
        ended.push(event["eventBody"].clone());
    }
    ended.sort_by_key(|body| body["status"].as_str().unwrap().to_string());
    assert_eq!(ended[0]["status"], "Complete", "{ended:?}");
    assert_eq!(ended[1]["status"], "Error", "{ended:?}");
    let message = ended[1]["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("modified") && message.contains("stale"),
        "{message}"
    );
}

#[tokio::test]
async fn the_layered_limits_throttle_wfm_routes_too() {
    let mut config = Config::profile(Profile::Genesys);
    Overrides {
        today: Some(TODAY.into()),
        token_rate: Some("2/min".parse::<Rate>().unwrap()),
        ..Overrides::default()
    }
    .apply(&mut config)
    .unwrap();
    let emu = start(config).await;
    let token = emu.token().await;
    let path = format!("{WFM}/businessunits");
    assert_eq!(emu.get(Some(&token), &path).await.status, 200);
    assert_eq!(emu.get(Some(&token), &path).await.status, 200);
    let throttled = emu.get(Some(&token), &path).await;
    assert_eq!(throttled.status, 429);
    assert_eq!(throttled.body["code"], "too.many.requests.retry.after");
    assert!(throttled.header("retry-after").is_some());
}

#[tokio::test]
async fn sockets_beat_answer_pings_and_injected_faults_drop_them_or_fail_updates() {
    let emu = start(wfm_config(10, |o| {
        o.heartbeat = Some(Duration::from_millis(30));
        o.drop_notifications = Some(Probability(1.0));
    }))
    .await;
    let token = emu.token().await;
    let unit = discover(&emu, &token).await;
    let (_, mut socket) = channel(&emu, &token, &[topic(&unit)]).await;
    let beat = next_event(&mut socket, "channel.metadata").await.unwrap();
    assert_eq!(beat["eventBody"]["message"], "WebSocket Heartbeat");
    socket
        .send(Message::Text(r#"{"message":"ping"}"#.into()))
        .await
        .unwrap();
    loop {
        let event = next_event(&mut socket, "channel.metadata").await.unwrap();
        if event["eventBody"]["message"] == "pong" {
            break;
        }
    }
    let a = emu.agent(1);
    let answer = update(
        &emu,
        &token,
        &unit,
        json!([{"userId": a, "shifts": [shift(&unit, 9)], "metadata": {"version": 1}}]),
    )
    .await;
    assert_eq!(answer.status, 202);
    assert!(
        next_event(&mut socket, &topic(&unit)).await.is_none(),
        "the socket is dropped"
    );
    // The update happened all the same: the schedule's version tells it.
    let unit_after = discover(&emu, &token).await;
    assert_eq!(unit_after.version, unit.version + 1);
    let stats = emu.stats().await;
    assert_eq!((stats.notifications_dropped, stats.users_written), (1, 1));

    let failing = start(wfm_config(10, |o| {
        o.bulk_error_rate = Some(Probability(1.0))
    }))
    .await;
    let token = failing.token().await;
    let unit = discover(&failing, &token).await;
    let (_, mut socket) = channel(&failing, &token, &[topic(&unit)]).await;
    let answer = update(&failing, &token, &unit, json!([])).await;
    assert_eq!(answer.status, 202);
    let event = next_event(&mut socket, &topic(&unit)).await.unwrap();
    assert_eq!(event["eventBody"]["status"], "Error");
}

#[tokio::test]
async fn large_and_asynchronous_queries_answer_by_download() {
    let emu = start(wfm_config(600, |_| {})).await;
    let token = emu.token().await;
    let unit = discover(&emu, &token).await;
    let path = unit.schedule_path("/agentschedules/query");
    let large = post(&emu, &token, &path, json!({"managementUnitId": unit.mu})).await;
    assert_eq!(large.body["status"], "Complete");
    assert!(large.body["result"].is_null());
    let url = large.body["downloadUrl"].as_str().unwrap();
    let download: Value = emu
        .http
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(download["agentSchedules"].as_array().unwrap().len(), 600);
    assert_eq!(download["businessUnitTimeZone"], "America/New_York");

    let query_topic = "v2.workforcemanagement.users.pacer-demo.schedules.query".to_string();
    let (_, mut socket) = channel(&emu, &token, std::slice::from_ref(&query_topic)).await;
    let pending = post(
        &emu,
        &token,
        &format!("{path}?forceAsync=true"),
        json!({"managementUnitId": unit.mu, "userIds": [emu.agent(0)]}),
    )
    .await;
    assert_eq!(pending.body["status"], "Processing");
    let event = next_event(&mut socket, &query_topic).await.unwrap();
    assert_eq!(
        event["eventBody"]["operationId"],
        pending.body["operationId"]
    );
    let url = event["eventBody"]["downloadUrl"].as_str().unwrap();
    let download: Value = emu
        .http
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(download["agentSchedules"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_blank_schedule_takes_agents_without_versions() {
    let emu = start(wfm_config(10, |_| {})).await;
    let token = emu.token().await;
    let found = discover(&emu, &token).await;
    let created = post(
        &emu,
        &token,
        &format!(
            "{WFM}/businessunits/{}/weeks/2027-01-04/schedules",
            found.bu
        ),
        json!({"description": "pacer", "weekCount": 1}),
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.text);
    assert_eq!(created.body["published"], false);
    let unit = Unit {
        schedule: created.body["id"].as_str().unwrap().to_string(),
        version: created.body["metadata"]["version"].as_u64().unwrap(),
        ..found
    };
    let path = format!(
        "{WFM}/businessunits/{}/weeks/2027-01-04/schedules/{}",
        unit.bu, unit.schedule
    );
    let (_, mut socket) = channel(&emu, &token, &[topic(&unit)]).await;
    let start = "2027-01-05T08:00:00Z";
    let data = gzip(
        &json!({"metadata": {"version": unit.version}, "agentSchedules": [
            {"userId": emu.agent(3), "shifts": [{"startDate": start, "lengthMinutes": 60, "activities": [
                {"startDate": start, "lengthMinutes": 60, "activityCodeId": unit.work, "description": "Work"}]}]}
        ]}),
    );
    let url = post(
        &emu,
        &token,
        &format!("{path}/update/uploadurl"),
        json!({"contentLengthBytes": data.len()}),
    )
    .await;
    let mut put = emu.http.put(url.body["url"].as_str().unwrap());
    for (name, value) in url.body["headers"].as_object().unwrap() {
        put = put.header(name, value.as_str().unwrap());
    }
    assert_eq!(put.body(data).send().await.unwrap().status(), 200);
    let key = url.body["uploadKey"].as_str().unwrap();
    let answer = post(
        &emu,
        &token,
        &format!("{path}/update"),
        json!({"uploadKey": key}),
    )
    .await;
    assert_eq!(answer.status, 202, "{}", answer.text);
    let event = next_event(&mut socket, &topic(&unit)).await.unwrap();
    assert_eq!(event["eventBody"]["status"], "Complete", "{event}");
    let stored = stored(&emu, &unit.schedule).await;
    assert_eq!(stored["agentSchedules"].as_array().unwrap().len(), 1);
    assert_eq!(stored["agentSchedules"][0]["shifts"][0]["startDate"], start);
}

/// What the emulator stores of a schedule (its test route).
pub async fn stored(emu: &Emu, schedule: &str) -> Value {
    emu.http
        .get(emu.url(&format!("/__emulator/schedules/{schedule}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// One shift of Work of `minutes` starting at `start`.
fn shift_at(unit: &Unit, start: &str, minutes: u32) -> Value {
    json!({"startDate": start, "lengthMinutes": minutes, "activities": [
        {"startDate": start, "lengthMinutes": minutes, "activityCodeId": unit.work, "description": "Work"}
    ]})
}

/// Sends an update of one agent with one shift, and returns how the operation ended and its
/// error message, if any.
pub async fn update_ends(
    emu: &Emu,
    token: &str,
    socket: &mut Socket,
    unit: &Unit,
    agent: Value,
) -> (String, String) {
    let answer = update(emu, token, unit, json!([agent])).await;
    assert_eq!(answer.status, 202, "{}", answer.text);
    let event = next_event(socket, &topic(unit)).await.expect("an event");
    let body = &event["eventBody"];
    (
        body["status"].as_str().unwrap_or_default().to_string(),
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

/// Checks that a shift starting at `early` (just before the week) ends the update `Error`, and
/// that one starting at `late` (the week's last half hour) ends it `Complete`; the agent is
/// `agent` (a member of the unit) at `version` (`None` in a blank schedule).
async fn week_bounds_hold(
    emu: &Emu,
    token: &str,
    unit: &Unit,
    agent: String,
    version: Option<u64>,
    (early, late): (&str, &str),
) {
    let (_, mut socket) = channel(emu, token, &[topic(unit)]).await;
    let with = |start: &str| {
        let mut entry = json!({"userId": agent, "shifts": [shift_at(unit, start, 30)]});
        if let Some(version) = version {
            entry["metadata"] = json!({"version": version});
        }
        entry
    };
    let (status, message) = update_ends(emu, token, &mut socket, unit, with(early)).await;
    assert_eq!(status, "Error", "{} {early}: {message}", unit.name);
    assert!(
        message.contains("outside the schedule's weeks"),
        "{message}"
    );
    let (status, message) = update_ends(emu, token, &mut socket, unit, with(late)).await;
    assert_eq!(status, "Complete", "{} {late}: {message}", unit.name);
    let stored = stored(emu, &unit.schedule).await;
    let written = stored["agentSchedules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["user"]["id"] == agent.as_str())
        .expect("the agent is stored");
    assert_eq!(written["shifts"][0]["startDate"], late);
}

/// The settings of business unit `bu`: its first day of the week and its time zone.
async fn settings(emu: &Emu, token: &str, bu: &str) -> (String, String) {
    let answer = emu
        .get(
            Some(token),
            &format!("{WFM}/businessunits/{bu}?expand=settings.startDayOfWeek%2Csettings.timeZone"),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let settings = &answer.body["settings"];
    (
        settings["startDayOfWeek"].as_str().unwrap().to_string(),
        settings["timeZone"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn weeks_run_from_local_midnight_to_local_midnight_across_dst_changes() {
    // Four units of ten agents: New York, London (weeks from Sunday), Sydney and Kolkata.
    let emu = start(told(wfm_config(40, |o| {
        o.today = Some("2026-10-27".into());
        o.business_units = Some(4);
    })))
    .await;
    let token = emu.token().await;
    let expected = [
        ("Monday", "America/New_York"),
        ("Sunday", "Europe/London"),
        ("Monday", "Australia/Sydney"),
        ("Monday", "Asia/Kolkata"),
    ];
    for (index, (day, zone)) in expected.into_iter().enumerate() {
        let week = if index == 1 {
            "2026-10-25"
        } else {
            "2026-10-26"
        };
        let unit = unit_at(&emu, &token, index, week).await;
        assert_eq!(
            settings(&emu, &token, &unit.bu).await,
            (day.to_string(), zone.to_string())
        );
    }

    // New York leaves summer time on 2026-11-01: its week of 2026-10-26 runs from 04:00Z on
    // Monday to 05:00Z the next Monday (169 hours).
    let north = unit_at(&emu, &token, 0, "2026-10-26").await;
    let bounds = ("2026-10-26T03:59:00Z", "2026-11-02T04:30:00Z");
    week_bounds_hold(&emu, &token, &north, emu.agent(1), Some(1), bounds).await;

    // Kolkata is UTC+05:30 all year: its week starts at 18:30Z the Sunday before.
    let west = unit_at(&emu, &token, 3, "2026-10-26").await;
    let bounds = ("2026-10-25T18:29:00Z", "2026-11-01T18:00:00Z");
    week_bounds_hold(&emu, &token, &west, emu.agent(31), Some(1), bounds).await;

    // London starts summer time on 2027-03-28: its Sunday week of that day runs from 00:00Z to
    // 23:00Z the next Saturday (167 hours), in a blank schedule made for it.
    let south = unit_at(&emu, &token, 1, "2026-10-25").await;
    let spring = "2027-03-28";
    let created = post(
        &emu,
        &token,
        &format!("{WFM}/businessunits/{}/weeks/{spring}/schedules", south.bu),
        json!({"description": "spring", "weekCount": 1}),
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.text);
    let south = Unit {
        schedule: created.body["id"].as_str().unwrap().to_string(),
        version: created.body["metadata"]["version"].as_u64().unwrap(),
        week: spring.into(),
        ..south
    };
    let bounds = ("2027-03-27T23:59:00Z", "2027-04-03T22:30:00Z");
    week_bounds_hold(&emu, &token, &south, emu.agent(11), None, bounds).await;
}

#[tokio::test]
async fn a_units_zone_and_first_day_come_from_the_config_file() {
    let text = r#"
[wfm]
business_units = 2
today = "2026-12-09"
error_detail = true

[[wfm.units]]
name = "South"
time_zone = "Asia/Tokyo"
start_day = "Wednesday"
"#;
    let mut config = Config::from_toml(text, "zones.toml", None).unwrap();
    Overrides {
        no_limits: true,
        bulk_processing: Some(Duration::from_millis(50)),
        ..Overrides::default()
    }
    .apply(&mut config)
    .unwrap();
    let emu = start(config).await;
    let token = emu.token().await;
    let north = unit_at(&emu, &token, 0, WEEK).await;
    assert_eq!(
        settings(&emu, &token, &north.bu).await,
        ("Monday".into(), "America/New_York".into())
    );
    // Today, 2026-12-09, is a Wednesday: South's current week starts that day.
    let south = unit_at(&emu, &token, 1, "2026-12-09").await;
    assert_eq!(
        settings(&emu, &token, &south.bu).await,
        ("Wednesday".into(), "Asia/Tokyo".into())
    );
    let monday = emu
        .get(
            Some(&token),
            &format!("{WFM}/businessunits/{}/weeks/{WEEK}/schedules", south.bu),
        )
        .await;
    assert_eq!(monday.status, 400, "{}", monday.text);
    assert!(
        monday.text.contains("start on Wednesday"),
        "{}",
        monday.text
    );
    // Tokyo's Wednesday starts at 15:00Z on Tuesday.
    let (_, mut socket) = channel(&emu, &token, &[topic(&south)]).await;
    let early = json!({"userId": emu.agent(600), "metadata": {"version": 1},
        "shifts": [shift_at(&south, "2026-12-08T14:59:00Z", 30)]});
    let (status, message) = update_ends(&emu, &token, &mut socket, &south, early).await;
    assert_eq!(status, "Error", "{message}");
    assert!(message.contains("2026-12-08T15:00:00Z"), "{message}");
}
