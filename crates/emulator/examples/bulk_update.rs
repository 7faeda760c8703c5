//! Writes every agent of the first business unit through the schedule update, once per week of
//! its published schedules, and times each update from its request to its `Complete` event on
//! the notification socket: scripts/bench-wfm.sh runs it against the `serve` example.
//!
//! Usage: `bulk_update BASE_URL`; prints one JSON line per week.

use std::io::Write as _;
use std::time::Instant;

use futures_util::StreamExt as _;
use serde_json::{Value, json};

const WFM: &str = "/api/v2/workforcemanagement";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = std::env::args()
        .nth(1)
        .ok_or("usage: bulk_update BASE_URL")?;
    let http = reqwest::Client::builder().no_proxy().build()?;
    let token: Value = http
        .post(format!("{base}/oauth/token"))
        .basic_auth("pacer-demo", Some("pacer-demo-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await?
        .json()
        .await?;
    let token = token["access_token"]
        .as_str()
        .ok_or("no token")?
        .to_string();
    let get = |path: String| {
        let request = http.get(format!("{base}{path}")).bearer_auth(&token);
        async move { request.send().await?.json::<Value>().await }
    };
    let post = |path: String, body: Value| {
        let request = http
            .post(format!("{base}{path}"))
            .bearer_auth(&token)
            .json(&body);
        async move { request.send().await?.json::<Value>().await }
    };
    let units = get(format!("{WFM}/businessunits")).await?;
    let bu = units["entities"][0]["id"]
        .as_str()
        .ok_or("no unit")?
        .to_string();
    let mus = get(format!("{WFM}/businessunits/{bu}/managementunits")).await?;
    let codes = get(format!("{WFM}/businessunits/{bu}/activitycodes")).await?;
    let work = codes["entities"][0]["id"]
        .as_str()
        .ok_or("no code")?
        .to_string();
    let weeks = get(format!("{WFM}/businessunits/{bu}/weeks/recent/schedules")).await?;
    let channel = post("/api/v2/notifications/channels".into(), Value::Null).await?;
    let topic = format!("v2.workforcemanagement.businessunits.{bu}.schedules");
    let id = channel["id"].as_str().ok_or("no channel")?;
    http.put(format!(
        "{base}/api/v2/notifications/channels/{id}/subscriptions"
    ))
    .bearer_auth(&token)
    .json(&json!([{ "id": topic }]))
    .send()
    .await?;
    let uri = channel["connectUri"].as_str().ok_or("no uri")?;
    let (mut socket, _) = tokio_tungstenite::connect_async(uri).await?;
    for schedule in weeks["entities"].as_array().ok_or("no weeks")? {
        let (sid, week) = (
            schedule["id"].as_str().unwrap(),
            schedule["weekDate"].as_str().unwrap(),
        );
        let path = format!("{WFM}/businessunits/{bu}/weeks/{week}/schedules/{sid}");
        let mut agents = Vec::new();
        for mu in mus["entities"].as_array().ok_or("no units")? {
            let found = post(
                format!("{path}/agentschedules/query"),
                json!({"managementUnitId": mu["id"]}),
            )
            .await?;
            let result = match found["downloadUrl"].as_str() {
                Some(url) => http.get(url).send().await?.json::<Value>().await?,
                None => found["result"].clone(),
            };
            for agent in result["agentSchedules"].as_array().ok_or("no agents")? {
                let shifts: Vec<Value> = (0..5)
                    .map(|day| {
                        let start = shift_start(week, day);
                        json!({"startDate": start, "lengthMinutes": 480, "activities": [
                            {"startDate": start, "lengthMinutes": 480, "activityCodeId": work, "description": "Work"}]})
                    })
                    .collect();
                agents.push(json!({"userId": agent["user"]["id"], "metadata": agent["metadata"], "shifts": shifts}));
            }
        }
        let upload = json!({"metadata": schedule["metadata"], "agentSchedules": agents});
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(upload.to_string().as_bytes())?;
        let data = encoder.finish()?;
        let url = post(
            format!("{path}/update/uploadurl"),
            json!({"contentLengthBytes": data.len()}),
        )
        .await?;
        let mut put = http.put(url["url"].as_str().ok_or("no url")?);
        for (name, value) in url["headers"].as_object().ok_or("no headers")? {
            put = put.header(name, value.as_str().unwrap_or(""));
        }
        put.body(data.clone()).send().await?.error_for_status()?;
        let started = Instant::now();
        let answer = post(
            format!("{path}/update"),
            json!({"uploadKey": url["uploadKey"]}),
        )
        .await?;
        let operation = answer["operationId"].clone();
        let status = loop {
            let message = socket.next().await.ok_or("the socket closed")??;
            let Ok(text) = message.to_text() else {
                continue;
            };
            let event: Value = serde_json::from_str(text).unwrap_or(Value::Null);
            if event["topicName"] == topic.as_str()
                && event["eventBody"]["operationId"] == operation
            {
                break event["eventBody"]["status"].clone();
            }
        };
        println!(
            "{}",
            json!({"week": week, "agents": agents.len(), "upload_bytes": data.len(),
                   "status": status, "processed_s": started.elapsed().as_secs_f64()})
        );
    }
    Ok(())
}

/// 08:00 UTC on day `day` of the week starting `week` (YYYY-MM-DD).
fn shift_start(week: &str, day: i64) -> String {
    let days = pacer_genesys::datetime::parse_days(week).unwrap_or(0) + day;
    pacer_genesys::datetime::format_seconds(days * 86_400 + 8 * 3600)
}
