use crate::backend_tests;
use crate::helpers::*;
use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;

async fn queue(app: &TestApp, token: &str, query: &str) -> Value {
    let response = app.get(&format!("/api/v1/queue{query}"), token).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

fn ids(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
}

/// Claims from the queue with each token, all at once; returns the claimed case ids and the
/// number of empty answers.
async fn claim_all(base: &[String], tokens: &[String]) -> (Vec<String>, usize) {
    let client = reqwest::Client::new();
    let responses = join_all(tokens.iter().enumerate().map(|(i, token)| {
        let url = format!("{}/api/v1/queue/claim", base[i % base.len()]);
        client.post(url).bearer_auth(token).send()
    }))
    .await;
    let mut claimed = Vec::new();
    let mut empty = 0;
    for response in responses {
        let response = response.unwrap();
        match response.status() {
            StatusCode::OK => claimed.push(response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()),
            StatusCode::NO_CONTENT => empty += 1,
            other => panic!("unexpected {other}: {}", response.text().await.unwrap()),
        }
    }
    (claimed, empty)
}

async fn assert_claimed_exactly_once(app: &TestApp, cases: &[String], claimed: &[String], token: &str) {
    let unique: BTreeSet<&String> = claimed.iter().collect();
    assert_eq!(unique.len(), claimed.len(), "a case was claimed twice: {claimed:?}");
    let expected: BTreeSet<&String> = cases.iter().collect();
    assert_eq!(unique, expected, "every case is claimed, none is lost");
    for id in cases {
        let claims = app.actions(id, token).await.iter().filter(|a| *a == "claim").count();
        assert_eq!(claims, 1, "case {id}");
        assert_eq!(app.case(id, token).await["status"], "in_review");
    }
}

backend_tests! {
    async fn the_queue_orders_urgent_first_then_by_deadline_and_filters(app: TestApp) {
        let officer = app.staff("officer", "UTO-HQ").await;
        let supervisor = app.staff("supervisor", "UTO-HQ").await;
        let smith = app.applicant("smith").await;
        let first = app.submitted(&smith).await;
        let second = app.submitted(&smith).await;
        let kazakh = app.applicant("kazakh").await;
        let draft = app.draft(&kazakh, &valid_application()).await;
        let third_id = draft["id"].as_str().unwrap().to_owned();
        let patch = json!({"applicant": {"surname": "Nurlanov", "nationality": "KAZ"}, "visa_type": "BUSINESS"});
        assert_eq!(app.patch(&format!("/api/v1/applications/{third_id}"), &kazakh.token, &patch).await.status(), StatusCode::OK);
        app.put_bytes(&format!("/api/v1/applications/{third_id}/documents/photo"), &kazakh.token, "image/png", photo_png(413, 531)).await;
        app.put_bytes(&format!("/api/v1/applications/{third_id}/documents/passport"), &kazakh.token, "application/pdf", minimal_pdf()).await;
        assert_eq!(app.act(&third_id, "submit", &kazakh.token, None).await.status(), StatusCode::OK);

        let all = queue(&app, &officer.token, "").await;
        assert_eq!(ids(&all), vec![first.clone(), second.clone(), third_id.clone()], "by deadline");
        assert_eq!(all["total"], 3);
        assert_eq!(app.act(&third_id, "priority", &supervisor.token, Some(json!({"priority": "urgent"}))).await.status(), StatusCode::OK);
        assert_eq!(ids(&queue(&app, &officer.token, "").await), vec![third_id.clone(), first.clone(), second.clone()], "urgent first");

        assert_eq!(ids(&queue(&app, &officer.token, "?nationality=KAZ").await), vec![third_id.clone()]);
        assert_eq!(ids(&queue(&app, &officer.token, "?visa_type=BUSINESS").await), vec![third_id.clone()]);
        assert_eq!(ids(&queue(&app, &officer.token, "?q=nurla").await), vec![third_id.clone()], "case-insensitive name search");
        let reference = app.case(&first, &officer.token).await["reference"].as_str().unwrap().to_owned();
        assert_eq!(ids(&queue(&app, &officer.token, &format!("?q={}", reference.to_lowercase())).await), vec![first.clone()]);
        assert_eq!(queue(&app, &officer.token, "?q=100%25").await["total"], 0, "LIKE wildcards are literal");
        let paged = queue(&app, &officer.token, "?per_page=2&page=2").await;
        assert_eq!((paged["total"].as_i64(), ids(&paged).len()), (Some(3), 1));

        // Overdue: arranged directly in the database, as time cannot be advanced through the API.
        app.execute_sql(&format!("UPDATE cases SET decision_deadline = '2020-01-01 00:00:00' WHERE id = '{second}'"));
        assert_eq!(ids(&queue(&app, &officer.token, "?overdue=true").await), vec![second.clone()]);
        assert_eq!(queue(&app, &officer.token, "?overdue=false").await["total"], 2);

        // Assignment filters.
        assert_eq!(app.act(&first, "claim", &officer.token, None).await.status(), StatusCode::OK);
        assert_eq!(ids(&queue(&app, &officer.token, "?assigned=me").await), vec![first.clone()]);
        assert_eq!(ids(&queue(&app, &supervisor.token, &format!("?assigned={}", officer.id)).await), vec![first.clone()]);
        assert_eq!(queue(&app, &officer.token, "").await["total"], 2, "the queue holds submitted cases");
        assert_eq!(ids(&queue(&app, &officer.token, "?status=in_review").await), vec![first.clone()]);
        let bad = app.get("/api/v1/queue?status=draft", &officer.token).await;
        assert_eq!(error_fields(&problem(bad, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["status"]);
        let unknown = app.get("/api/v1/queue?colour=red", &officer.token).await;
        problem(unknown, StatusCode::BAD_REQUEST).await;
    }

    async fn only_staff_of_the_post_see_its_queue(app: TestApp) {
        app.add_post("UTO-LON").await;
        let applicant = app.applicant("queued").await;
        app.submitted(&applicant).await;
        let abroad = app.staff("officer", "UTO-LON").await;
        assert_eq!(queue(&app, &abroad.token, "").await["total"], 0);
        assert_eq!(app.post_empty("/api/v1/queue/claim", &abroad.token).await.status(), StatusCode::NO_CONTENT);
        problem(app.get("/api/v1/queue", &applicant.token).await, StatusCode::FORBIDDEN).await;
        let admin = app.admin().await;
        problem(app.get("/api/v1/queue", &admin.token).await, StatusCode::FORBIDDEN).await;
        problem(app.post_empty("/api/v1/queue/claim", &admin.token).await, StatusCode::FORBIDDEN).await;
        problem(app.request(Method::GET, "/api/v1/queue", None, None).await, StatusCode::UNAUTHORIZED).await;
    }

    async fn many_concurrent_claims_take_each_case_exactly_once(app: TestApp) {
        let mut cases = Vec::new();
        for name in ["ana", "ben", "cleo"] {
            let applicant = app.applicant(name).await;
            for _ in 0..4 {
                cases.push(app.submitted(&applicant).await);
            }
        }
        let mut tokens = Vec::new();
        for _ in 0..3 {
            tokens.push(app.staff("officer", "UTO-HQ").await.token);
        }
        tokens.push(app.staff("supervisor", "UTO-HQ").await.token);
        let claims: Vec<String> = (0..20).map(|i| tokens[i % tokens.len()].clone()).collect();
        let (claimed, empty) = claim_all(std::slice::from_ref(&app.address), &claims).await;
        assert_eq!(claimed.len(), 12);
        assert_eq!(empty, 8);
        assert_claimed_exactly_once(&app, &cases, &claimed, &tokens[3]).await;
        app.assert_counts_agree();
    }

    async fn supervisors_see_their_post_s_statistics(app: TestApp) {
        let officer = app.staff("officer", "UTO-HQ").await;
        let supervisor = app.staff("supervisor", "UTO-HQ").await;
        let applicant = app.applicant("counted").await;
        let approved = app.submitted(&applicant).await;
        let refused = app.submitted(&applicant).await;
        let waiting = app.submitted(&applicant).await;
        for id in [&approved, &refused] {
            assert_eq!(app.act(id, "claim", &officer.token, None).await.status(), StatusCode::OK);
        }
        assert_eq!(app.act(&approved, "decision", &officer.token, Some(json!({"decision": "approve"}))).await.status(), StatusCode::OK);
        assert_eq!(app.act(&refused, "decision", &officer.token, Some(json!({"decision": "refuse", "grounds": ["ENTRY_BAN"]}))).await.status(), StatusCode::OK);
        app.execute_sql(&format!("UPDATE cases SET decision_deadline = '2020-01-01 00:00:00' WHERE id = '{waiting}'"));

        problem(app.get("/api/v1/stats", &officer.token).await, StatusCode::FORBIDDEN).await;
        let stats: Value = app.get("/api/v1/stats", &supervisor.token).await.json().await.unwrap();
        assert_eq!(stats["post"], "UTO-HQ");
        // The approved case may already be issued: issuing takes a couple of milliseconds.
        let mut by_status = stats["by_status"].clone();
        if let Some(issued) = by_status.as_object_mut().unwrap().remove("issued") {
            by_status["approved"] = issued;
        }
        assert_eq!(by_status, json!({"approved": 1, "rejected": 1, "submitted": 1}));
        assert_eq!(stats["overdue"], 1);
        assert_eq!(stats["decided"]["TOURIST"], 2);
        let median = stats["median_days_to_decision"]["TOURIST"].as_f64().unwrap();
        assert!((0.0..0.01).contains(&median), "{median}");
        app.assert_counts_agree();

        // Decisions older than the window leave the decision times; the counts keep them. The
        // decision times are read again once the post's counts change (or after a minute): a
        // change made behind the service's back shows with the next change of status.
        crate::issuance::wait_issued(&app, &approved, &applicant.token).await;
        let stats: Value = app.get("/api/v1/stats", &supervisor.token).await.json().await.unwrap();
        assert_eq!(stats["decided"]["TOURIST"], 2);
        app.execute_sql(&format!("UPDATE cases SET decided_at = '2020-01-01 00:00:00' WHERE id = '{refused}'"));
        let stats: Value = app.get("/api/v1/stats", &supervisor.token).await.json().await.unwrap();
        assert_eq!(stats["decided"]["TOURIST"], 2, "kept while the counts stay the same");
        app.submitted(&applicant).await;
        let stats: Value = app.get("/api/v1/stats", &supervisor.token).await.json().await.unwrap();
        assert_eq!(stats["by_status"]["submitted"], 2);
        assert_eq!(stats["decided"]["TOURIST"], 1, "decisions of the last 90 days");
        assert_eq!(stats["by_status"]["rejected"], 1);
    }
}

/// Every decision route, tried by every kind of caller. A route is set up with a case in the
/// status it acts on; each caller who must be refused tries first (and changes nothing), then
/// the one who may act succeeds.
mod role_matrix {
    use super::*;

    struct Callers {
        owner: Account,
        assignee: Account,
        colleague: Account,
        abroad: Account,
        supervisor: Account,
        admin: Account,
    }

    #[derive(Clone, Copy, PartialEq)]
    enum Setup {
        Submitted,
        InReview,
        PendingApproval,
    }

    #[derive(Clone, Copy, PartialEq)]
    enum Who {
        Colleague,
        Assignee,
        Supervisor,
    }

    async fn case(app: &TestApp, c: &Callers, setup: Setup) -> String {
        let visa = if setup == Setup::PendingApproval { "WORK" } else { "TOURIST" };
        let id = app.submitted_for(&c.owner, visa).await;
        if setup != Setup::Submitted {
            assert_eq!(app.act(&id, "claim", &c.assignee.token, None).await.status(), StatusCode::OK);
        }
        if setup == Setup::PendingApproval {
            let response = app.act(&id, "decision", &c.assignee.token, Some(json!({"decision": "approve"}))).await;
            assert_eq!(response.status(), StatusCode::OK);
        }
        id
    }

    async fn run(app: TestApp) {
        app.add_post("UTO-LON").await;
        let c = Callers {
            owner: app.applicant("owner").await,
            assignee: app.staff("officer", "UTO-HQ").await,
            colleague: app.staff("officer", "UTO-HQ").await,
            abroad: app.staff("officer", "UTO-LON").await,
            supervisor: app.staff("supervisor", "UTO-HQ").await,
            admin: app.admin().await,
        };
        let routes: Vec<(&str, Option<Value>, Setup, Who, StatusCode)> = vec![
            ("claim", None, Setup::Submitted, Who::Colleague, StatusCode::OK),
            ("release", None, Setup::InReview, Who::Assignee, StatusCode::OK),
            ("assign", Some(json!({"officer_id": c.colleague.id})), Setup::InReview, Who::Supervisor, StatusCode::OK),
            ("request-info", Some(json!({"message": "More, please."})), Setup::InReview, Who::Assignee, StatusCode::OK),
            ("decision", Some(json!({"decision": "approve"})), Setup::InReview, Who::Assignee, StatusCode::OK),
            (
                "decision",
                Some(json!({"decision": "refuse", "grounds": ["ENTRY_BAN"]})),
                Setup::InReview,
                Who::Assignee,
                StatusCode::OK,
            ),
            ("confirm", None, Setup::PendingApproval, Who::Supervisor, StatusCode::OK),
            ("return", Some(json!({"note": "Again."})), Setup::PendingApproval, Who::Supervisor, StatusCode::OK),
            ("notes", Some(json!({"text": "Seen."})), Setup::InReview, Who::Assignee, StatusCode::CREATED),
            (
                "extend-deadline",
                Some(json!({"days": 3, "reason": "Checks"})),
                Setup::InReview,
                Who::Supervisor,
                StatusCode::OK,
            ),
            ("priority", Some(json!({"priority": "urgent"})), Setup::Submitted, Who::Supervisor, StatusCode::OK),
        ];
        for (action, body, setup, who, success) in routes {
            let id = case(&app, &c, setup).await;
            let before = app.case(&id, &c.supervisor.token).await;
            let anonymous =
                app.request(Method::POST, &format!("/api/v1/applications/{id}/{action}"), None, body.as_ref()).await;
            assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED, "{action} anonymous");
            let mut refused = vec![
                (&c.owner, StatusCode::FORBIDDEN, "owner"),
                (&c.abroad, StatusCode::NOT_FOUND, "officer of another post"),
                (&c.admin, StatusCode::FORBIDDEN, "admin"),
            ];
            if who != Who::Colleague {
                refused.push((&c.colleague, StatusCode::FORBIDDEN, "officer of the post, not assigned"));
            }
            if who == Who::Supervisor {
                refused.push((&c.assignee, StatusCode::FORBIDDEN, "assigned officer"));
            }
            for (caller, status, label) in refused {
                let response = app.act(&id, action, &caller.token, body.clone()).await;
                assert_eq!(response.status(), status, "{action} by {label}");
            }
            let after = app.case(&id, &c.supervisor.token).await;
            assert_eq!(before["version"], after["version"], "{action}: refused callers changed nothing");
            let actor = match who {
                Who::Colleague => &c.colleague,
                Who::Assignee => &c.assignee,
                Who::Supervisor => &c.supervisor,
            };
            let response = app.act(&id, action, &actor.token, body.clone()).await;
            assert_eq!(response.status(), success, "{action} by the one who may");
            // Supervisors can do what officers can, on any case of the post.
            if who != Who::Supervisor {
                let again = case(&app, &c, setup).await;
                let response = app.act(&again, action, &c.supervisor.token, body.clone()).await;
                assert_eq!(response.status(), success, "{action} by a supervisor");
            }
        }
        // The applicant's own route: only the owner may respond.
        let id = case(&app, &c, Setup::InReview).await;
        assert_eq!(
            app.act(&id, "request-info", &c.assignee.token, Some(json!({"message": "?"}))).await.status(),
            StatusCode::OK
        );
        let answer = Some(json!({"message": "Here."}));
        assert_eq!(app.act(&id, "respond", &c.assignee.token, answer.clone()).await.status(), StatusCode::FORBIDDEN);
        assert_eq!(app.act(&id, "respond", &c.admin.token, answer.clone()).await.status(), StatusCode::FORBIDDEN);
        assert_eq!(app.act(&id, "respond", &c.owner.token, answer).await.status(), StatusCode::OK);
    }

    #[actix_web::test]
    async fn sqlite() {
        run(TestApp::spawn(Db::Sqlite).await).await;
    }

    #[actix_web::test]
    async fn postgres() {
        if let Some(url) = postgres_url() {
            run(TestApp::spawn(Db::Postgres(url)).await).await;
        }
    }
}

/// Two server processes share one PostgreSQL database; claims sent to both never collide.
#[actix_web::test]
async fn claims_across_two_server_processes_on_postgres_take_each_case_once() {
    let Some(url) = postgres_url() else {
        eprintln!("EVISA_TEST_POSTGRES_URL is not set: two-process claim test not run");
        return;
    };
    let app = TestApp::spawn(Db::Postgres(url)).await;
    let _turn = crate::process::one_at_a_time().await;
    let second = crate::process::SecondProcess::start(&app).await;
    let mut cases = Vec::new();
    for name in ["dora", "emil"] {
        let applicant = app.applicant(name).await;
        for _ in 0..5 {
            cases.push(app.submitted(&applicant).await);
        }
    }
    let mut tokens = Vec::new();
    for _ in 0..4 {
        tokens.push(app.staff("officer", "UTO-HQ").await.token);
    }
    let claims: Vec<String> = (0..24).map(|i| tokens[i % tokens.len()].clone()).collect();
    let (claimed, empty) = claim_all(&[app.address.clone(), second.address.clone()], &claims).await;
    assert_eq!((claimed.len(), empty), (10, 14));
    assert_claimed_exactly_once(&app, &cases, &claimed, &tokens[0]).await;
    app.assert_counts_agree();
}
