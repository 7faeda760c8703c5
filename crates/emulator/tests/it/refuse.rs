//! The refusal route (`/__emulator/wfm/refuse`): an update holding a refused agent ends `Error`
//! and applies nothing, bare in the genesys profile as the real API, with a message in seed; the
//! set grows with each call and is cleared.

use pacer_emulator::Profile;
use serde_json::{Value, json};

use crate::support::{Emu, read, start};
use crate::wfm::{
    Socket, Unit, channel, discover, next_event, profile_config, shift, stored, topic, update,
};

/// Sends `body` to the refusal route with `method`; returns the ids refused now.
async fn refuse(emu: &Emu, method: reqwest::Method, body: Option<Value>) -> Vec<String> {
    let mut request = emu.http.request(method, emu.url("/__emulator/wfm/refuse"));
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let answer = read(request.send().await.unwrap()).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    serde_json::from_value(answer.body["userIds"].clone()).unwrap()
}

/// Sends an update of `agents` and returns its notification's body.
async fn ends(emu: &Emu, token: &str, socket: &mut Socket, unit: &Unit, agents: Value) -> Value {
    let answer = update(emu, token, unit, agents).await;
    assert_eq!(answer.status, 202, "{}", answer.text);
    let event = next_event(socket, &topic(unit)).await.expect("an event");
    event["eventBody"].clone()
}

/// An entry of agent `agent` at version 1 with one shift starting at `hour`.
fn entry(emu: &Emu, unit: &Unit, agent: u32, hour: u32) -> Value {
    json!({"userId": emu.agent(agent), "metadata": {"version": 1}, "shifts": [shift(unit, hour)]})
}

#[tokio::test]
async fn a_refused_agent_fails_its_update_whole_bare_in_genesys_told_in_seed() {
    for profile in [Profile::Genesys, Profile::Seed] {
        let emu = start(profile_config(profile, 10, |_| {})).await;
        let token = emu.token().await;
        let unit = discover(&emu, &token).await;
        let (_, mut socket) = channel(&emu, &token, &[topic(&unit)]).await;
        let refused = emu.agent(2).to_uppercase();
        let set = refuse(
            &emu,
            reqwest::Method::POST,
            Some(json!({"userIds": [refused]})),
        )
        .await;
        assert_eq!(set, [emu.agent(2)]);

        let agents = json!([entry(&emu, &unit, 1, 9), entry(&emu, &unit, 2, 10)]);
        let body = ends(&emu, &token, &mut socket, &unit, agents).await;
        assert_eq!(body["status"], "Error", "{body}");
        match profile {
            Profile::Genesys => assert!(body.get("error").is_none(), "{body}"),
            Profile::Seed => {
                let message = body["error"]["message"].as_str().unwrap();
                assert!(message.contains(&emu.agent(2)), "{message}");
                assert!(message.contains("refused"), "{message}");
            }
        }
        // Nothing of the upload was applied: not the schedule, not the agent before the refused.
        let shown = stored(&emu, &unit.schedule).await;
        assert_eq!(shown["schedule"]["metadata"]["version"], unit.version);
        let first = &shown["agentSchedules"][1];
        assert_eq!(first["user"]["id"], emu.agent(1).as_str());
        assert_eq!(first["metadata"]["version"], 1);
        let stats = emu.stats().await;
        assert_eq!((stats.updates_failed, stats.users_written), (1, 0));

        // An update without the refused agent completes.
        let agents = json!([entry(&emu, &unit, 1, 9), entry(&emu, &unit, 3, 10)]);
        let body = ends(&emu, &token, &mut socket, &unit, agents).await;
        assert_eq!(body["status"], "Complete", "{body}");
        let stats = emu.stats().await;
        assert_eq!((stats.updates_completed, stats.users_written), (1, 2));
    }
}

#[tokio::test]
async fn refusals_add_up_and_are_cleared() {
    let emu = start(profile_config(Profile::Genesys, 10, |_| {})).await;
    let token = emu.token().await;
    let mut unit = discover(&emu, &token).await;
    let (_, mut socket) = channel(&emu, &token, &[topic(&unit)]).await;
    let post_ids = |body: Value| refuse(&emu, reqwest::Method::POST, Some(body));
    let (a, b) = (emu.agent(1), emu.agent(2));
    assert_eq!(post_ids(json!({"userIds": [a]})).await, [a.as_str()]);
    let mut both = vec![a.clone(), b.clone()];
    both.sort();
    both.push("nobody".into());
    assert_eq!(post_ids(json!({"userIds": [b, "nobody"]})).await, both);

    let body = ends(
        &emu,
        &token,
        &mut socket,
        &unit,
        json!([entry(&emu, &unit, 1, 9)]),
    )
    .await;
    assert_eq!(body["status"], "Error", "{body}");
    assert!(
        post_ids(json!({"userIds": [], "clear": true}))
            .await
            .is_empty()
    );
    let body = ends(
        &emu,
        &token,
        &mut socket,
        &unit,
        json!([entry(&emu, &unit, 1, 9)]),
    )
    .await;
    assert_eq!(body["status"], "Complete", "{body}");
    unit.version += 1;

    assert_eq!(post_ids(json!({"userIds": [a]})).await, [a.as_str()]);
    assert!(refuse(&emu, reqwest::Method::DELETE, None).await.is_empty());
    let again = json!([{"userId": a, "metadata": {"version": 2}, "shifts": [shift(&unit, 11)]}]);
    let body = ends(&emu, &token, &mut socket, &unit, again).await;
    assert_eq!(body["status"], "Complete", "{body}");
    let stats = emu.stats().await;
    assert_eq!((stats.updates_failed, stats.updates_completed), (1, 2));

    let bad = emu
        .http
        .post(emu.url("/__emulator/wfm/refuse"))
        .body(r#"{"userIds": "not a list"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    // The emulator's reset forgets the refusals with the rest.
    assert_eq!(post_ids(json!({"userIds": [a]})).await, [a.as_str()]);
    let reset = emu.http.post(emu.url("/__emulator/reset")).send().await;
    assert_eq!(reset.unwrap().status(), 204);
    assert!(post_ids(json!({})).await.is_empty());
}
