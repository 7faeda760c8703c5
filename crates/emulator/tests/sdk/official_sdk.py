"""Drives the emulator's schedule path and users search with Genesys's official Python SDK
(purecloudplatformclientv2).

The SDK's models check enum values and types while they deserialize, so every answer read here
is one the official SDK accepts. Usage: official_sdk.py BASE_URL CLIENT_ID CLIENT_SECRET WEEK
[CA_FILE]; with an https BASE_URL, CA_FILE (PEM) is the SDK's `ssl_ca_cert` and the upload's CA.
Prints one line per step and `ok` at the end; any failure raises.
"""

import gzip
import json
import ssl
import sys
import urllib.request

import PureCloudPlatformClientV2 as sdk


def main(base, client_id, secret, week, ca_file=None):
    sdk.configuration.host = base
    if ca_file:
        sdk.configuration.ssl_ca_cert = ca_file
    tls = ssl.create_default_context(cafile=ca_file) if ca_file else None
    client = sdk.api_client.ApiClient()
    client.host = base
    client.get_client_credentials_token(client_id, secret)
    wfm = sdk.WorkforceManagementApi(client)

    units = wfm.get_workforcemanagement_businessunits()
    unit = units.entities[0]
    assert unit.name == "North" and unit.division.id, unit
    print("business units:", [u.name for u in units.entities])

    detail = wfm.get_workforcemanagement_businessunit(
        unit.id, expand=["settings.startDayOfWeek", "settings.timeZone"]
    )
    assert detail.settings.start_day_of_week == "Monday", detail.settings
    assert detail.settings.time_zone == "America/New_York", detail.settings
    print("settings:", detail.settings.start_day_of_week, detail.settings.time_zone)

    mus = wfm.get_workforcemanagement_businessunit_managementunits(unit.id)
    mu = mus.entities[0]
    codes = wfm.get_workforcemanagement_businessunit_activitycodes(unit.id)
    work = next(c for c in codes.entities if c.name == "Work")
    assert work.category == "OnQueueWork", work
    users = wfm.get_workforcemanagement_managementunit_users(mu.id)
    agent = users.entities[0].id
    place = wfm.get_workforcemanagement_agent_managementunit(agent)
    assert place.management_unit.id == mu.id and place.business_unit.id == unit.id
    print("management unit:", mu.name, "agents:", len(users.entities), "codes:", len(codes.entities))

    listing = wfm.get_workforcemanagement_businessunit_week_schedules(
        unit.id, week, include_only_published=True
    )
    schedule = listing.entities[0]
    assert str(schedule.week_date) == week, schedule.week_date
    meta = wfm.get_workforcemanagement_businessunit_week_schedule(
        unit.id, week, schedule.id, expand="managementUnits.agents"
    )
    assert meta.metadata.version == schedule.metadata.version
    print("schedule:", meta.id, "version", meta.metadata.version)

    query = sdk.BuQueryAgentSchedulesRequest()
    query.management_unit_id = mu.id
    query.user_ids = [agent]
    found = wfm.post_workforcemanagement_businessunit_week_schedule_agentschedules_query(
        unit.id, week, schedule.id, query
    )
    assert found.status == "Complete", found.status
    current = found.result.agent_schedules[0]
    assert current.user.id == agent and current.metadata.version == 1
    assert current.shifts[0].activities[0].activity_code_id
    print("agent schedule:", len(current.shifts), "shifts, version", current.metadata.version)

    channel = sdk.NotificationsApi(client).post_notifications_channels()
    topic = sdk.ChannelTopic()
    topic.id = "v2.workforcemanagement.businessunits.%s.schedules" % unit.id
    topics = sdk.NotificationsApi(client).put_notifications_channel_subscriptions(channel.id, [topic])
    assert topics.entities[0].id == topic.id
    print("channel:", channel.connect_uri.split("/")[0], "expires", channel.expires)

    start = week + "T09:00:00Z"
    upload = {
        "metadata": {"version": meta.metadata.version},
        "agentSchedules": [
            {
                "userId": agent,
                "metadata": {"version": current.metadata.version},
                "shifts": [
                    {
                        "startDate": start,
                        "lengthMinutes": 60,
                        "activities": [
                            {
                                "startDate": start,
                                "lengthMinutes": 60,
                                "activityCodeId": work.id,
                                "description": "Work",
                            }
                        ],
                    }
                ],
            }
        ],
    }
    data = gzip.compress(json.dumps(upload).encode())
    body = sdk.UploadUrlRequestBody()
    body.content_length_bytes = len(data)
    target = wfm.post_workforcemanagement_businessunit_week_schedule_update_uploadurl(
        unit.id, week, schedule.id, body
    )
    print("upload URL scheme:", target.url.split(":")[0])
    request = urllib.request.Request(target.url, data=data, method="PUT", headers=target.headers)
    with urllib.request.urlopen(request, context=tls) as answer:
        assert answer.status == 200
    process = sdk.ProcessScheduleUpdateUploadRequest()
    process.upload_key = target.upload_key
    started = wfm.post_workforcemanagement_businessunit_week_schedule_update(
        unit.id, week, schedule.id, process
    )
    assert started.status == "Processing" and started.operation_id, started
    print("update:", started.status, started.operation_id)

    search = sdk.BuSearchAgentSchedulesRequest()
    search.start_date = week + "T00:00:00Z"
    search.end_date = week + "T23:59:59Z"
    search.user_ids = [agent]
    searched = wfm.post_workforcemanagement_businessunit_agentschedules_search(unit.id, search)
    assert searched.status == "Complete" and searched.result.agent_schedules[0].user.id == agent
    print("search:", len(searched.result.agent_schedules[0].shifts), "shifts")

    blank = sdk.BuCreateBlankScheduleRequest()
    blank.description = "made by the official SDK"
    blank.week_count = 1
    made = wfm.post_workforcemanagement_businessunit_week_schedules(unit.id, week, blank)
    assert made.published is False and made.metadata.version == 1
    search_users(client)
    print("ok")


def search_users(client):
    """Finds the second user by an EXACT on email ANDed with a TERMS on name."""
    users = sdk.UsersApi(client)
    second = users.get_users(page_size=2).entities[1]
    by_email = sdk.UserSearchCriteria()
    by_email.type = "EXACT"
    by_email.fields = ["email"]
    by_email.value = second.email.upper()
    by_name = sdk.UserSearchCriteria()
    by_name.type = "TERMS"
    by_name.fields = ["name"]
    by_name.values = [second.name, "Agent 00001"]
    request = sdk.UserSearchRequest()
    request.page_size = 25
    request.page_number = 1
    request.query = [by_email, by_name]
    found = users.post_users_search(request)
    assert found.total == 1 and found.page_count == 1, found
    assert found.results[0].email == second.email, found.results[0]
    assert found.results[0].id == second.id, found.results[0]
    print("users search:", found.total, found.results[0].email)


if __name__ == "__main__":
    main(*sys.argv[1:6])
