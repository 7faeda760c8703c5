//! Full days of time off held by the server: written by an upload, shown by the query, the search
//! and the test route, kept or replaced by later uploads, and checked like shifts.

use serde_json::{Value, json};

use crate::support::{Emu, start};
use crate::wfm::{
    Unit, WFM, channel, discover, post, shift, stored, told, topic, update_ends, wfm_config,
};

/// The id of the unit's `Time Off` activity code.
async fn time_off(emu: &Emu, token: &str, unit: &Unit) -> String {
    let path = format!("{WFM}/businessunits/{}/activitycodes", unit.bu);
    let codes = emu.get(Some(token), &path).await;
    let code = codes.body["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["category"] == "TimeOff")
        .expect("a time-off code")
        .clone();
    code["id"].as_str().unwrap().to_string()
}

/// The markers the query shows for `agent`.
async fn queried(emu: &Emu, token: &str, unit: &Unit, agent: &str) -> Value {
    let answer = post(
        emu,
        token,
        &unit.schedule_path("/agentschedules/query"),
        json!({"managementUnitId": unit.mu, "userIds": [agent]}),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body["result"]["agentSchedules"][0]["fullDayTimeOffMarkers"].clone()
}

/// Sends an update of one agent, waits for it to complete, and follows the schedule's version.
async fn complete(emu: &Emu, token: &str, unit: &mut Unit, agent: Value) {
    let (_, mut socket) = channel(emu, token, &[topic(unit)]).await;
    let (status, message) = update_ends(emu, token, &mut socket, unit, agent).await;
    assert_eq!(status, "Complete", "{message}");
    unit.version += 1;
}

#[tokio::test]
async fn markers_round_trip_through_upload_query_search_and_the_test_route() {
    let emu = start(wfm_config(10, |_| {})).await;
    let token = emu.token().await;
    let mut unit = discover(&emu, &token).await;
    let off = time_off(&emu, &token, &unit).await;
    let (agent, other) = (emu.agent(1), emu.agent(2));
    let markers = json!([
        {"businessUnitDate": "2026-12-09", "lengthMinutes": 480, "activityCodeId": off,
         "timeOffRequestId": "r1"},
        {"businessUnitDate": "2026-12-10", "lengthMinutes": 240, "activityCodeId": off,
         "description": "Doctor", "paid": true},
    ]);
    let entry = json!({"userId": agent, "metadata": {"version": 1},
                       "shifts": [shift(&unit, 9)], "fullDayTimeOffMarkers": markers});
    complete(&emu, &token, &mut unit, entry).await;
    let expected = json!([
        {"businessUnitDate": "2026-12-09", "lengthMinutes": 480, "description": "Time Off",
         "activityCodeId": off, "paid": false, "timeOffRequestId": "r1"},
        {"businessUnitDate": "2026-12-10", "lengthMinutes": 240, "description": "Doctor",
         "activityCodeId": off, "paid": true},
    ]);
    assert_eq!(queried(&emu, &token, &unit, &agent).await, expected);
    assert_eq!(queried(&emu, &token, &unit, &other).await, json!([]));
    let shown = stored(&emu, &unit.schedule).await;
    assert_eq!(
        shown["agentSchedules"][1]["fullDayTimeOffMarkers"],
        expected
    );

    // The search keeps the markers whose day starts in its range (New York's midnight of the 9th).
    let search = json!({"startDate": "2026-12-09T00:00:00Z", "endDate": "2026-12-10T00:00:00Z",
                        "userIds": [agent]});
    let path = format!("{WFM}/businessunits/{}/agentschedules/search", unit.bu);
    let found = post(&emu, &token, &path, search).await;
    assert_eq!(found.status, 200, "{}", found.text);
    let found = &found.body["result"]["agentSchedules"][0]["fullDayTimeOffMarkers"];
    assert_eq!(*found, json!([expected[0]]));

    // No field keeps them; an empty list clears them.
    let keep = json!({"userId": agent, "metadata": {"version": 2}, "shifts": []});
    complete(&emu, &token, &mut unit, keep).await;
    assert_eq!(queried(&emu, &token, &unit, &agent).await, expected);
    let clear = json!({"userId": agent, "metadata": {"version": 3}, "fullDayTimeOffMarkers": []});
    complete(&emu, &token, &mut unit, clear).await;
    assert_eq!(queried(&emu, &token, &unit, &agent).await, json!([]));
}

#[tokio::test]
async fn a_bad_marker_ends_the_operation_in_error() {
    let emu = start(told(wfm_config(10, |_| {}))).await;
    let token = emu.token().await;
    let unit = discover(&emu, &token).await;
    let off = time_off(&emu, &token, &unit).await;
    let (_, mut socket) = channel(&emu, &token, &[topic(&unit)]).await;
    let marker = |date: &str, minutes: u32, code: &str| json!({"businessUnitDate": date, "lengthMinutes": minutes, "activityCodeId": code});
    let cases = [
        (
            vec![marker("2026-12-14", 480, &off)],
            "fullDayTimeOffMarkers[0].businessUnitDate: 2026-12-14 is outside the schedule's weeks (2026-12-07 to 2026-12-13)",
        ),
        (vec![marker("2026-12-32", 480, &off)], "businessUnitDate"),
        (
            vec![marker("2026-12-08", 0, &off)],
            "lengthMinutes: must be 1..=1440",
        ),
        (vec![marker("2026-12-08", 1441, &off)], "lengthMinutes"),
        (
            vec![marker("2026-12-08", 480, &unit.work)],
            "(Work) is not of category TimeOff",
        ),
        (
            vec![marker("2026-12-08", 480, "nope")],
            "`nope` is not an activity code",
        ),
        (
            vec![
                marker("2026-12-08", 480, &off),
                marker("2026-12-08", 60, &off),
            ],
            "fullDayTimeOffMarkers[1].businessUnitDate: 2026-12-08 has a marker already",
        ),
    ];
    for (markers, reason) in cases {
        let entry = json!({"userId": emu.agent(1), "metadata": {"version": 1},
                           "fullDayTimeOffMarkers": markers});
        let (status, message) = update_ends(&emu, &token, &mut socket, &unit, entry).await;
        assert_eq!(status, "Error");
        assert!(message.contains(reason), "{message} should say {reason}");
    }
    assert_eq!(emu.stats().await.users_written, 0);
}
