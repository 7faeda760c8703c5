//! `--mirror`: an organization read by `pacer mirror` served as it is, route by route: its units
//! with their settings, management units, members, activity codes, schedules and agents' shifts,
//! users, and limits; what the mirror does not say stays the profile's.

use std::path::PathBuf;

use pacer_emulator::{Config, Overrides, Profile};
use serde_json::{Value, json};

use crate::support::{Answer, Emu, start};
use crate::wfm::{WFM, post, wfm_config};

/// The mirror's users, `u(1)` to `u(7)`.
pub fn u(n: u32) -> String {
    format!("3f1c0a52-9d1e-4b7a-8c2d-{n:012}")
}

/// A code as the API lists it.
fn code(id: &str, name: &str, category: &str, minutes: u32, paid: bool, work: bool) -> Value {
    json!({"id": id, "name": name, "active": true, "defaultCode": false, "category": category,
           "lengthInMinutes": minutes, "countsAsPaidTime": paid, "countsAsWorkTime": work})
}

/// Agent 2's shifts in London's schedule, as the API answers them.
fn london_shifts() -> Value {
    json!([{"id": "7a1b2c3d-0000-4000-8000-000000000001", "startDate": "2026-12-07T09:00:00Z",
            "lengthMinutes": 480, "activities": [
        {"startDate": "2026-12-07T09:00:00Z", "lengthMinutes": 240, "activityCodeId": "lon-phones",
         "description": "Inbound calls", "paid": true},
        {"startDate": "2026-12-07T13:00:00Z", "lengthMinutes": 30, "activityCodeId": "lon-lunch",
         "description": "Lunch", "paid": false},
        {"startDate": "2026-12-07T13:30:00Z", "lengthMinutes": 210, "activityCodeId": "lon-phones",
         "description": "Phones", "paid": true}]},
           {"id": "7a1b2c3d-0000-4000-8000-000000000002", "startDate": "2026-12-08T08:00:00Z",
            "lengthMinutes": 60, "activities": [
        {"startDate": "2026-12-08T08:00:00Z", "lengthMinutes": 60, "activityCodeId": "lon-coach",
         "description": "Coaching", "paid": true}]}])
}

/// Agent 2's day off in London's schedule, as the API answers it.
fn london_day_off() -> Value {
    json!([{"businessUnitDate": "2026-12-10", "lengthMinutes": 480, "description": "Holiday",
            "activityCodeId": "lon-holiday", "paid": true}])
}

/// Three units (New York from Monday, London from Sunday, Sydney from Monday), their management
/// units, custom codes, a published schedule without its agents' shifts (North's, the week of
/// 2026-12-07) and one with them (London's, the week of 2026-12-06), seven users of whom one is
/// in no management unit, and limits.
pub fn mirror_json(token_limit: u64) -> Value {
    json!({
        "version": 1, "takenAt": "2026-12-05T12:00:00Z", "source": "api.mypurecloud.com",
        "withNames": true, "withSchedules": true,
        "limits": [
            {"namespace": "platform.api", "key": "client.credentials.token.rate.per.minute",
             "value": token_limit},
            {"namespace": "platform.api", "key": "request.bytes.max", "value": 400_000},
            {"namespace": "workforce.management", "key": "wfm.schedule.upload.agents.max",
             "value": 1500}],
        "businessUnits": [
            {"id": "b0000000-0000-4000-8000-00000000000a", "name": "North",
             "divisionId": "d1v00000-0000-4000-8000-000000000001",
             "timeZone": "America/New_York", "startDayOfWeek": "Monday",
             "activityCodes": [
                 code("nor-work", "Work", "OnQueueWork", 30, true, true),
                 code("nor-break", "Break", "Break", 15, true, false),
                 code("nor-meal", "Meal", "Meal", 30, false, false),
                 code("nor-pto", "Vacation", "TimeOff", 480, true, false)],
             "managementUnits": [
                 {"id": "m0000000-0000-4000-8000-000000000001", "name": "North Sales",
                  "members": [u(3), u(1)]},
                 {"id": "m0000000-0000-4000-8000-000000000002", "name": "North Care",
                  "members": [u(5)]}],
             "schedules": [
                 {"id": "s0000000-0000-4000-8000-000000000001", "weekDate": "2026-12-07",
                  "weekCount": 1, "published": true, "description": "Mirrored week",
                  "version": 7}]},
            {"id": "b0000000-0000-4000-8000-00000000000b", "name": "London",
             "timeZone": "Europe/London", "startDayOfWeek": "Sunday",
             "activityCodes": [
                 code("lon-phones", "Phones", "OnQueueWork", 60, true, true),
                 code("lon-lunch", "Lunch", "Meal", 30, false, false),
                 code("lon-coach", "Coaching", "Training", 45, true, true),
                 code("lon-holiday", "Holiday", "TimeOff", 480, true, false)],
             "managementUnits": [
                 {"id": "m0000000-0000-4000-8000-000000000003", "name": "London Desk",
                  "members": [u(2), u(4)]}],
             "schedules": [
                 {"id": "s0000000-0000-4000-8000-000000000002", "weekDate": "2026-12-06",
                  "weekCount": 2, "published": true, "description": "Two weeks of London",
                  "version": 12, "agents": [
                      {"userId": u(2), "version": 4, "shifts": london_shifts(),
                       "fullDayTimeOffMarkers": london_day_off()}]}]},
            {"id": "b0000000-0000-4000-8000-00000000000c", "name": "Sydney",
             "timeZone": "Australia/Sydney", "startDayOfWeek": "Monday",
             "activityCodes": [code("syd-work", "Work", "OnQueueWork", 30, true, true)],
             "managementUnits": [
                 {"id": "m0000000-0000-4000-8000-000000000004", "name": "Sydney One",
                  "members": [u(6)]}]}],
        "users": [
            {"id": u(1), "name": "Ada Lovelace", "email": "ada@example.org"},
            {"id": u(2), "name": "Grace Hopper", "email": "grace@example.org"},
            {"id": u(3), "name": "Alan Turing", "email": "alan@example.org"},
            {"id": u(4), "name": "Ada Lovelace", "email": "ada2@example.org"},
            {"id": u(5)},
            {"id": u(6), "name": "Edsger Dijkstra"},
            {"id": u(7), "name": "Barbara Liskov", "email": "barbara@example.org"}]
    })
}

/// Writes `mirror` to a file of its own for this test.
pub fn mirror_file(name: &str, mirror: &Value) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("mirror-{name}.json"));
    std::fs::write(&path, mirror.to_string()).unwrap();
    path
}

/// The genesys profile without limits, a fixed today and a short processing time, serving the
/// mirror (whose agent count wins over the 40 asked).
pub fn mirror_config(name: &str) -> Config {
    let path = mirror_file(name, &mirror_json(300));
    wfm_config(40, |o| o.mirror = Some(path))
}

/// The answer's `entities`.
async fn entities(emu: &Emu, token: &str, path: &str) -> Vec<Value> {
    let answer = emu.get(Some(token), path).await;
    assert_eq!(answer.status, 200, "{path}: {}", answer.text);
    answer.body["entities"].as_array().unwrap().clone()
}

fn field<'a>(values: &'a [Value], name: &str) -> Vec<&'a Value> {
    values.iter().map(|v| &v[name]).collect()
}

#[tokio::test]
async fn units_settings_management_units_members_and_codes_are_the_mirrors() {
    let emu = start(mirror_config("units")).await;
    let token = emu.token().await;
    let mirror = mirror_json(300);
    let units = entities(&emu, &token, &format!("{WFM}/businessunits")).await;
    assert_eq!(field(&units, "name"), ["North", "London", "Sydney"]);
    assert_eq!(
        units[0]["division"]["id"],
        "d1v00000-0000-4000-8000-000000000001"
    );
    assert!(
        units[1]["division"]["id"].is_string(),
        "a unit without one gets the home division"
    );
    for (b, unit) in mirror["businessUnits"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let bu = unit["id"].as_str().unwrap();
        assert_eq!(units[b]["id"], bu);
        let path = format!("{WFM}/businessunits/{bu}?expand=settings");
        let detail = emu.get(Some(&token), &path).await;
        assert_eq!(detail.body["settings"]["timeZone"], unit["timeZone"]);
        assert_eq!(
            detail.body["settings"]["startDayOfWeek"],
            unit["startDayOfWeek"]
        );
        let codes = entities(
            &emu,
            &token,
            &format!("{WFM}/businessunits/{bu}/activitycodes"),
        )
        .await;
        assert_eq!(
            Value::from(codes),
            unit["activityCodes"],
            "{}",
            unit["name"]
        );
        let path = format!("{WFM}/businessunits/{bu}/managementunits");
        let mus = entities(&emu, &token, &path).await;
        let wanted = unit["managementUnits"].as_array().unwrap();
        assert_eq!(field(&mus, "id"), field(wanted, "id"));
        assert_eq!(field(&mus, "name"), field(wanted, "name"));
        for mu in wanted {
            let path = format!("{WFM}/managementunits/{}/users", mu["id"].as_str().unwrap());
            let members = entities(&emu, &token, &path).await;
            assert_eq!(json!(field(&members, "id")), mu["members"]);
        }
    }
    let path = format!("{WFM}/managementunits/m0000000-0000-4000-8000-000000000001/users");
    let names = entities(&emu, &token, &path).await;
    assert_eq!(field(&names, "name"), ["Alan Turing", "Ada Lovelace"]);
    let care = format!("{WFM}/managementunits/m0000000-0000-4000-8000-000000000002/users");
    // A user the mirror names nothing keeps the derived name of its agent number (the third).
    assert_eq!(
        field(&entities(&emu, &token, &care).await, "name"),
        ["Agent 00003"]
    );
    let place = emu
        .get(
            Some(&token),
            &format!("{WFM}/agents/{}/managementunit", u(4)),
        )
        .await;
    assert_eq!(
        place.body["managementUnit"]["id"],
        "m0000000-0000-4000-8000-000000000003"
    );
    assert_eq!(
        place.body["businessUnit"]["id"],
        "b0000000-0000-4000-8000-00000000000b"
    );
    let nowhere = emu
        .get(
            Some(&token),
            &format!("{WFM}/agents/{}/managementunit", u(7)),
        )
        .await;
    assert_eq!(nowhere.status, 404, "a user in no management unit has none");
}

#[tokio::test]
async fn schedules_and_their_agents_are_the_mirrors() {
    let emu = start(mirror_config("schedules")).await;
    let token = emu.token().await;
    let london = "b0000000-0000-4000-8000-00000000000b";
    let listing = entities(
        &emu,
        &token,
        &format!("{WFM}/businessunits/{london}/weeks/2026-12-06/schedules"),
    )
    .await;
    assert_eq!(listing.len(), 1, "only the mirror's schedules: {listing:?}");
    let schedule = &listing[0];
    assert_eq!(schedule["id"], "s0000000-0000-4000-8000-000000000002");
    assert_eq!(
        (&schedule["weekCount"], &schedule["published"]),
        (&json!(2), &json!(true))
    );
    assert_eq!(schedule["description"], "Two weeks of London");
    assert_eq!(schedule["metadata"]["version"], 12);
    let path = format!(
        "{WFM}/businessunits/{london}/weeks/2026-12-06/schedules/s0000000-0000-4000-8000-000000000002"
    );
    let units = emu
        .get(Some(&token), &format!("{path}?expand=managementUnits"))
        .await;
    assert_eq!(units.body["managementUnits"][0]["agentCount"], 1);
    let mu = "m0000000-0000-4000-8000-000000000003";
    let query = post(
        &emu,
        &token,
        &format!("{path}/agentschedules/query"),
        json!({"managementUnitId": mu}),
    )
    .await;
    assert_eq!(query.status, 200, "{}", query.text);
    let result = &query.body["result"];
    assert_eq!(result["businessUnitTimeZone"], "Europe/London");
    let agents = result["agentSchedules"].as_array().unwrap();
    assert_eq!(agents.len(), 1, "agent 4 has no schedule in it: {agents:?}");
    assert_eq!(agents[0]["user"]["id"], u(2));
    assert_eq!(agents[0]["metadata"]["version"], 4);
    assert_eq!(agents[0]["shifts"], london_shifts());
    assert_eq!(agents[0]["fullDayTimeOffMarkers"], london_day_off());

    // North's schedule was mirrored without its agents: they get the generated shifts, in
    // North's own codes.
    let north = "b0000000-0000-4000-8000-00000000000a";
    let week = format!("{WFM}/businessunits/{north}/weeks/2026-12-07/schedules");
    let listing = entities(&emu, &token, &week).await;
    assert_eq!(
        field(&listing, "id"),
        ["s0000000-0000-4000-8000-000000000001"]
    );
    assert_eq!(listing[0]["metadata"]["version"], 7);
    assert_eq!(listing[0]["description"], "Mirrored week");
    let query = format!("{week}/s0000000-0000-4000-8000-000000000001/agentschedules/query");
    let mu = "m0000000-0000-4000-8000-000000000001";
    let answer = post(&emu, &token, &query, json!({"managementUnitId": mu})).await;
    let agents = answer.body["result"]["agentSchedules"].as_array().unwrap();
    assert_eq!(
        field(agents, "user"),
        [&json!({"id": u(3)}), &json!({"id": u(1)})]
    );
    let shift = &agents[0]["shifts"][0];
    assert_eq!(
        (
            agents[0]["metadata"]["version"].as_u64(),
            shift["lengthMinutes"].as_u64()
        ),
        (Some(1), Some(480))
    );
    let codes: Vec<&Value> = field(shift["activities"].as_array().unwrap(), "activityCodeId");
    assert_eq!(
        codes,
        ["nor-work", "nor-break", "nor-work", "nor-meal", "nor-work"]
    );
    // Weeks the mirror has no schedule for have none, and Sydney has none at all.
    assert!(
        entities(
            &emu,
            &token,
            &format!("{WFM}/businessunits/{north}/weeks/2026-12-14/schedules")
        )
        .await
        .is_empty()
    );
    let sydney = "b0000000-0000-4000-8000-00000000000c";
    assert!(
        entities(
            &emu,
            &token,
            &format!("{WFM}/businessunits/{sydney}/weeks/recent/schedules")
        )
        .await
        .is_empty()
    );
}

#[tokio::test]
async fn a_reset_puts_the_mirrors_schedules_back() {
    let emu = start(mirror_config("reset")).await;
    let token = emu.token().await;
    let week = format!(
        "{WFM}/businessunits/b0000000-0000-4000-8000-00000000000a/weeks/2026-12-07/schedules"
    );
    let made = post(
        &emu,
        &token,
        &week,
        json!({"description": "draft", "weekCount": 1}),
    )
    .await;
    assert_eq!(made.status, 200, "{}", made.text);
    assert_eq!(entities(&emu, &token, &week).await.len(), 2);
    let reset = emu
        .http
        .post(emu.url("/__emulator/reset"))
        .send()
        .await
        .unwrap();
    assert!(reset.status().is_success());
    assert_eq!(
        field(&entities(&emu, &token, &week).await, "id"),
        ["s0000000-0000-4000-8000-000000000001"]
    );
}

#[tokio::test]
async fn users_are_the_mirrors_with_their_names_found_by_search() {
    let emu = start(mirror_config("users")).await;
    let token = emu.token().await;
    let page = emu.get(Some(&token), "/api/v2/users?pageSize=100").await;
    assert_eq!(page.body["total"], 7);
    let users = page.body["entities"].as_array().unwrap();
    // Unit by unit, management unit by management unit, the user in none last.
    let order: Vec<String> = [3, 1, 5, 2, 4, 6, 7].iter().map(|&n| u(n)).collect();
    assert_eq!(field(users, "id"), order.iter().collect::<Vec<_>>());
    assert_eq!(
        (&users[1]["name"], &users[1]["email"]),
        (&json!("Ada Lovelace"), &json!("ada@example.org"))
    );
    assert_eq!(users[2]["email"], "agent00003@pacer-emulator.example");
    assert_eq!(
        (&users[5]["name"], &users[5]["email"]),
        (
            &json!("Edsger Dijkstra"),
            &json!("agent00006@pacer-emulator.example")
        )
    );
    let search = |query: Value| {
        let body = json!({"pageSize": 25, "pageNumber": 1, "query": [query]});
        post(&emu, &token, "/api/v2/users/search", body)
    };
    let ada = search(json!({"type": "EXACT", "fields": ["name"], "value": "ada LOVELACE"})).await;
    assert_eq!(ada.body["total"], 2, "{}", ada.text);
    assert_eq!(
        field(ada.body["results"].as_array().unwrap(), "id"),
        [&json!(u(1)), &json!(u(4))]
    );
    let emails = json!({"type": "TERMS", "fields": ["email"],
                        "values": ["GRACE@example.org", "agent00003@pacer-emulator.example", "agent00001@pacer-emulator.example"]});
    let found = search(emails).await;
    // Agent 1 was given an e-mail: its derived one finds nobody.
    assert_eq!(
        field(found.body["results"].as_array().unwrap(), "id"),
        [&json!(u(5)), &json!(u(2))]
    );
    let derived =
        search(json!({"type": "EXACT", "fields": ["name"], "value": "Agent 00003"})).await;
    assert_eq!(derived.body["results"][0]["id"], u(5));
    let id = search(json!({"type": "EXACT", "fields": ["id"], "value": u(7).to_uppercase()})).await;
    assert_eq!(id.body["results"][0]["name"], "Barbara Liskov");
}

/// The genesys profile with its limits, serving a mirror whose per-token limit is `limit`.
fn limited(name: &str, limit: u64) -> Config {
    let mut config = Config::profile(Profile::Genesys);
    let path = mirror_file(name, &mirror_json(limit));
    Overrides {
        mirror: Some(path),
        today: Some("2026-12-09".into()),
        ..Overrides::default()
    }
    .apply(&mut config)
    .unwrap();
    config
}

async fn limits(emu: &Emu, token: &str, namespace: &str) -> Answer {
    let path = format!("/api/v2/organizations/limits/namespaces/{namespace}");
    emu.get(Some(token), &path).await
}

#[tokio::test]
async fn limits_are_the_mirrors_and_the_per_token_limit_is_enforced() {
    let emu = start(limited("limits", 3)).await;
    let token = emu.token().await;
    let platform = limits(&emu, &token, "platform.api").await;
    let mirror = mirror_json(3);
    assert_eq!(
        platform.body["entities"],
        json!(mirror["limits"].as_array().unwrap()[..2])
    );
    let wfm = limits(&emu, &token, "workforce.management").await;
    assert_eq!(wfm.body["entities"], json!([mirror["limits"][2]]));
    // A namespace the mirror does not hold is the emulator's own.
    let oauth = limits(&emu, &token, "oauth").await;
    assert_eq!(
        oauth.body["entities"][0]["key"],
        "oauth.client.token.creation.rate.per.minute"
    );
    // Three requests were made with the token: the fourth is refused, in the profile's style.
    let refused = emu.get(Some(&token), "/api/v2/users").await;
    assert_eq!(refused.status, 429, "{}", refused.text);
    assert!(
        refused.header("x-ratelimit-limit").is_none(),
        "the genesys profile's headers"
    );
}

#[tokio::test]
async fn a_flag_still_wins_over_a_mirrored_limit_and_the_answer_says_so() {
    let mut config = limited("flag", 3);
    Overrides {
        token_rate: Some("50/min".parse().unwrap()),
        ..Overrides::default()
    }
    .apply(&mut config)
    .unwrap();
    assert_eq!(config.limiters[0].spec.limit, 50);
    let emu = start(config).await;
    let token = emu.token().await;
    let platform = limits(&emu, &token, "platform.api").await;
    assert_eq!(platform.body["entities"][0]["value"], 50);
}

#[test]
fn a_bad_mirror_is_refused_naming_the_file_and_the_place() {
    let mut zone = mirror_json(300);
    zone["businessUnits"][2]["timeZone"] = json!("Australia/Atlantis");
    let path = mirror_file("bad-zone", &zone);
    let overrides = Overrides {
        mirror: Some(path.clone()),
        ..Overrides::default()
    };
    let err = Config::resolve(&overrides).unwrap_err();
    assert!(err.is_usage());
    let text = err.to_string();
    assert!(text.starts_with(&path.display().to_string()), "{text}");
    assert!(
        text.contains("businessUnits[2] (Sydney).timeZone: `Australia/Atlantis`"),
        "{text}"
    );
    let missing = Overrides {
        mirror: Some(path.with_extension("none")),
        ..Overrides::default()
    };
    assert!(
        Config::resolve(&missing)
            .unwrap_err()
            .to_string()
            .contains("cannot be read")
    );
}

#[test]
fn the_mirror_fixes_the_agents_and_the_banner_says_it_serves_one() {
    let config = mirror_config("banner");
    assert_eq!((config.agents, config.wfm.business_units), (7, 3));
    let banner = pacer_emulator::banner(&config, "127.0.0.1:8080".parse().unwrap(), false);
    assert!(
        banner.contains("(taken 2026-12-05T12:00:00Z from api.mypurecloud.com): 3 business unit(s), 7 agents, with names"),
        "{banner}"
    );
}
