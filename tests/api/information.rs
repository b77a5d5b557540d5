//! A request for information answered: the officer's console shows what the applicant changed,
//! each answer before and after, the documents new or replaced, and the applicant's message; the
//! applicant sees none of the staff's record of it.

use crate::backend_tests;
use crate::helpers::*;
use crate::portal::Browser;
use reqwest::StatusCode;
use serde_json::{Value, json};

backend_tests! {
    async fn the_officer_sees_what_the_answer_to_a_request_changed(app: TestApp) {
        let applicant = app.applicant("asked").await;
        let id = app.submitted(&applicant).await;
        let officer = app.staff("officer", "UTO-HQ").await;
        assert_eq!(app.post_empty("/api/v1/queue/claim", &officer.token).await.status(), StatusCode::OK);
        let asked = app.act(&id, "request-info", &officer.token, Some(json!({"message": "Where will you stay? The scan is unreadable.", "items": ["address of stay", "passport photo page"]}))).await;
        assert_eq!(asked.status(), StatusCode::OK);
        let before = app.case(&id, &applicant.token).await["travel"]["address"].as_str().unwrap().to_owned();
        let patched = app.patch(&format!("/api/v1/applications/{id}"), &applicant.token, &json!({"travel": {"address": "Hotel Astana, 5 Abay Avenue"}})).await;
        assert_eq!(patched.status(), StatusCode::OK, "{}", patched.text().await.unwrap());
        let scan = app.put_bytes(&format!("/api/v1/applications/{id}/documents/passport"), &applicant.token, "application/pdf", [minimal_pdf(), b"%%EOF\n".to_vec()].concat()).await;
        assert_eq!(scan.status(), StatusCode::OK);
        let answered = app.act(&id, "respond", &applicant.token, Some(json!({"message": "Corrected, and a clearer scan."}))).await;
        assert_eq!(answered.status(), StatusCode::OK);

        let console = Browser::new(&app);
        console.sign_in(&officer.email).await;
        let page = console.get(&format!("/console/cases/{id}")).await.text().await.unwrap();
        let table = &page[page.find("What the applicant changed").expect("the changes")..];
        let table = &table[..table.find("</table>").unwrap()];
        assert!(table.contains("Address of stay") && table.contains(&before) && table.contains("Hotel Astana, 5 Abay Avenue"), "{table}");
        assert_eq!(table.matches("<tr>").count(), 2, "the heading and the one answer that changed: {table}");
        assert!(page.contains("New or replaced documents: Passport"), "the new scan");
        assert!(page.contains("Corrected, and a clearer scan."), "the applicant's message");

        // The applicant's history tells of the answer, not of the staff's record of it.
        let history: Value = app.get(&format!("/api/v1/applications/{id}/events"), &applicant.token).await.json().await.unwrap();
        let leaked = history["items"].as_array().unwrap().iter().any(|e| e["details"].get("before").is_some() || e["details"].get("changes").is_some());
        assert!(!leaked, "{history}");
    }

    async fn a_request_names_documents_answers_and_a_date_and_only_those_answers_may_change(app: TestApp) {
        let applicant = app.applicant("named").await;
        let id = app.submitted(&applicant).await;
        let officer = app.staff("officer", "UTO-HQ").await;
        assert_eq!(app.post_empty("/api/v1/queue/claim", &officer.token).await.status(), StatusCode::OK);
        let due = chrono::Utc::now().date_naive() + chrono::Duration::days(10);
        let unknown = app.act(&id, "request-info", &officer.token, Some(json!({"message": "?", "documents": ["tax_return"], "fields": ["applicant.shoe_size"]}))).await;
        let fields = error_fields(&problem(unknown, StatusCode::UNPROCESSABLE_ENTITY).await);
        assert_eq!(fields, ["documents[0]", "fields[0]"], "only the service's own documents and answers");
        let late = app.act(&id, "request-info", &officer.token, Some(json!({"message": "?", "due_date": "2020-01-01"}))).await;
        assert_eq!(error_fields(&problem(late, StatusCode::UNPROCESSABLE_ENTITY).await), ["due_date"]);
        let request = json!({"message": "Your date of birth differs from your passport.", "documents": ["passport"],
                             "fields": ["applicant.date_of_birth"], "due_date": due.to_string()});
        assert_eq!(app.act(&id, "request-info", &officer.token, Some(request)).await.status(), StatusCode::OK);

        // The applicant sees the request first, in their language, with where to put it right.
        let portal = Browser::new(&app);
        portal.get("/?lang=ru").await;
        portal.sign_in(&applicant.email).await;
        // Links as a browser reads them (the template escapes their slashes).
        let page = portal.get(&format!("/cases/{id}")).await.text().await.unwrap().replace("&#x2f;", "/");
        let top = &page[..page.find("<dl class=\"summary\">").unwrap()];
        assert!(top.contains("Сотруднику нужны дополнительные сведения") && top.contains(&format!("до {}", due.format("%d.%m.%Y"))), "{top}");
        assert!(top.contains(&format!("/cases/{id}/documents#file-passport")) && top.contains("Паспорт"), "the document, linked");
        assert!(top.contains(&format!("/cases/{id}/step/1#f-applicant-date_of_birth")) && top.contains("Дата рождения"), "the answer, linked");

        // The named answer may change, though identity is otherwise fixed once submitted; others may not.
        let other = app.patch(&format!("/api/v1/applications/{id}"), &applicant.token, &json!({"travel": {"address": "Elsewhere 1"}})).await;
        let problem = problem(other, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem["errors"][0]["code"], "not_requested", "{problem}");
        let corrected = app.patch(&format!("/api/v1/applications/{id}"), &applicant.token, &json!({"applicant": {"date_of_birth": "1990-03-15"}})).await;
        assert_eq!(corrected.status(), StatusCode::OK, "{}", corrected.text().await.unwrap());
        // Answered in the portal: a confirmation on the page, and by e-mail.
        let csrf = portal.csrf().await;
        let answered = portal.post(&format!("/cases/{id}/respond"), &[("csrf", &csrf), ("note", "Corrected.")]).await;
        let confirmation = portal.get(&crate::portal::location(&answered)).await.text().await.unwrap();
        assert!(confirmation.contains("Ваш ответ отправлен"), "{confirmation}");
        let mailed = app.eventual_scalar(&format!("SELECT subject AS value FROM outbox WHERE case_id = '{id}' AND event = 'answer_received'")).await;
        assert!(mailed.contains("ответ") || mailed.contains("answer"), "{mailed}");
        let console = Browser::new(&app);
        console.sign_in(&officer.email).await;
        let page = console.get(&format!("/console/cases/{id}")).await.text().await.unwrap();
        // Before and after, dates as the officer's language writes them.
        assert!(page.contains("<td>15 February 1990</td>") && page.contains("<strong>15 March 1990</strong>"), "the answer before and after: {page}");
    }

    async fn a_request_with_a_date_is_reminded_of_once_unless_it_was_answered(app: TestApp) {
        let applicant = app.applicant("reminded").await;
        let officer = app.staff("officer", "UTO-HQ").await;
        let job = |id: &str| format!("SELECT status AS value FROM jobs WHERE kind = 'remind_information' AND subject = '{id}'");
        let reminders = |id: &str| format!("SELECT CAST(COUNT(*) AS TEXT) AS value FROM outbox WHERE case_id = '{id}' AND event = 'info_reminder'");
        let due = chrono::Utc::now().date_naive() + chrono::Duration::days(10);
        let mut cases = Vec::new();
        for _ in 0..2 {
            let id = app.submitted(&applicant).await;
            app.post_empty("/api/v1/queue/claim", &officer.token).await;
            let request = json!({"message": "Please send a clearer passport scan.", "documents": ["passport"], "due_date": due.to_string()});
            assert_eq!(app.act(&id, "request-info", &officer.token, Some(request)).await.status(), StatusCode::OK);
            assert_eq!(app.scalar(&job(&id)), "pending");
            let when = app.scalar(&format!("SELECT CAST(run_after AS TEXT) AS value FROM jobs WHERE kind = 'remind_information' AND subject = '{id}'"));
            assert!(when.starts_with(&(due - chrono::Duration::days(2)).to_string()), "two days before: {when}");
            cases.push(id);
        }
        // The second is answered before its reminder is due.
        let scan = app.put_bytes(&format!("/api/v1/applications/{}/documents/passport", cases[1]), &applicant.token, "application/pdf", [minimal_pdf(), b"%%EOF\n".to_vec()].concat()).await;
        assert_eq!(scan.status(), StatusCode::OK);
        assert_eq!(app.act(&cases[1], "respond", &applicant.token, Some(json!({"message": "Sent."}))).await.status(), StatusCode::OK);
        // Time passes: the reminders are due.
        let past = (chrono::Utc::now() - chrono::Duration::minutes(1)).naive_utc().format("%Y-%m-%d %H:%M:%S").to_string();
        app.execute_sql(&format!("UPDATE jobs SET run_after = '{past}' WHERE kind = 'remind_information'"));
        // The answered one is done with; the other, once reminded, comes back when its date has
        // passed (the end of that day at the post, UTC here).
        let lapses = (due + chrono::Duration::days(1)).to_string();
        let next_run = format!("SELECT CAST(run_after AS TEXT) AS value FROM jobs WHERE kind = 'remind_information' AND subject = '{}'", cases[0]);
        crate::wait::until("the reminders run", crate::wait::BACKGROUND, || async {
            (app.scalar(&job(&cases[1])) == "done" && app.scalar(&next_run).starts_with(&lapses)).then_some(())
        })
        .await;
        assert_eq!(app.scalar(&job(&cases[0])), "pending");
        assert!(app.scalar(&next_run).starts_with(&lapses), "{}", app.scalar(&next_run));
        assert_eq!(app.scalar(&reminders(&cases[0])), "1", "reminded once");
        assert_eq!(app.scalar(&reminders(&cases[1])), "0", "an answered request is not reminded of");
        let body = app.scalar(&format!("SELECT text_body AS value FROM outbox WHERE case_id = '{}' AND event = 'info_reminder'", cases[0]));
        assert!(body.contains(&due.format("%-d %B %Y").to_string()) && body.contains("clearer passport scan"), "{body}");
    }

    async fn an_unanswered_request_lapses_as_the_service_says_and_the_applicant_is_told(app: TestApp) {
        let applicant = app.applicant("silent").await;
        let officer = app.staff("officer", "UTO-HQ").await;
        let admin = app.admin().await;
        let due = chrono::Utc::now().date_naive() + chrono::Duration::days(10);
        let status = |id: &str| app.scalar(&format!("SELECT status AS value FROM cases WHERE id = '{id}'"));
        let mut cases = Vec::new();
        // What the service says when the date passes decides: first the officer, then a refusal.
        for (lapse, lapsed) in [("officer", "in_review"), ("refuse", "rejected")] {
            let setting = app.request(reqwest::Method::PATCH, "/api/v1/admin/services/TOURIST", Some(&admin.token), Some(&json!({"information_lapse": lapse}))).await;
            assert_eq!(setting.status(), StatusCode::OK);
            assert_eq!(setting.json::<serde_json::Value>().await.unwrap()["information_lapse"], lapse);
            let id = app.submitted(&applicant).await;
            app.post_empty("/api/v1/queue/claim", &officer.token).await;
            let request = json!({"message": "Please send your bank statements.", "due_date": due.to_string()});
            assert_eq!(app.act(&id, "request-info", &officer.token, Some(request)).await.status(), StatusCode::OK);
            // The date passes unanswered (the request is moved into the past, and its job is due).
            let yesterday = chrono::Utc::now().date_naive() - chrono::Duration::days(1);
            app.execute_sql(&format!("UPDATE case_events SET details = REPLACE(details, '\"due_date\":\"{due}\"', '\"due_date\":\"{yesterday}\"') WHERE case_id = '{id}' AND action = 'request_info'"));
            let past = (chrono::Utc::now() - chrono::Duration::minutes(1)).naive_utc().format("%Y-%m-%d %H:%M:%S").to_string();
            app.execute_sql(&format!("UPDATE jobs SET run_after = '{past}' WHERE kind = 'remind_information' AND subject = '{id}'"));
            crate::wait::until(&format!("case {id} {lapsed}"), crate::wait::BACKGROUND, || async {
                (status(&id) == lapsed).then_some(())
            })
            .await;
            cases.push(id);
        }
        // The officer decides: the case is back with them, marked, and the applicant is told.
        assert_eq!(app.scalar(&format!("SELECT assigned_officer_id AS value FROM cases WHERE id = '{}'", cases[0])), officer.id);
        let told = app.scalar(&format!("SELECT text_body AS value FROM outbox WHERE case_id = '{}' AND event = 'information_lapsed'", cases[0]));
        assert!(told.contains("no answer was received"), "{told}");
        let lapse = app.scalar(&format!("SELECT actor_role AS value FROM case_events WHERE case_id = '{}' AND action = 'lapse'", cases[0]));
        assert_eq!(lapse, "system");
        let console = Browser::new(&app);
        console.sign_in(&officer.email).await;
        let queue = console.get("/console?status=&mine=true").await.text().await.unwrap();
        assert!(queue.contains("No answer by the date"), "marked in the queue");
        // Refused for lack of information, on its coded ground.
        let refusal = app.scalar(&format!("SELECT text_body AS value FROM outbox WHERE case_id = '{}' AND event = 'refused'", cases[1]));
        assert!(refusal.contains("Information not provided"), "{refusal}");
        let decision: serde_json::Value = app.get(&format!("/api/v1/applications/{}", cases[1]), &applicant.token).await.json().await.unwrap();
        assert!(decision.to_string().contains("INFORMATION_NOT_PROVIDED"), "{decision}");
        // Its job is recorded done just after the refusal, in a transaction of its own.
        let job = format!("SELECT status AS value FROM jobs WHERE kind = 'remind_information' AND subject = '{}'", cases[1]);
        crate::wait::until("the lapse's job done", crate::wait::BACKGROUND, || async { (app.scalar(&job) == "done").then_some(()) }).await;
    }

    async fn an_answer_for_an_officer_who_is_away_goes_back_to_the_queue(app: TestApp) {
        let applicant = app.applicant("patient").await;
        let officer = app.staff("officer", "UTO-HQ").await;
        let id = app.submitted(&applicant).await;
        app.post_empty("/api/v1/queue/claim", &officer.token).await;
        let request = json!({"message": "Please send a clearer passport scan.", "documents": ["passport"]});
        assert_eq!(app.act(&id, "request-info", &officer.token, Some(request)).await.status(), StatusCode::OK);
        let past = json!({"until": (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339()});
        let refused = app.request(reqwest::Method::PUT, "/api/v1/me/away", Some(&officer.token), Some(&past)).await;
        assert_eq!(error_fields(&problem(refused, StatusCode::UNPROCESSABLE_ENTITY).await), ["until"]);
        let not_staff = app.request(reqwest::Method::PUT, "/api/v1/me/away", Some(&applicant.token), Some(&json!({"until": null}))).await;
        problem(not_staff, StatusCode::FORBIDDEN).await;
        // Away in the console, until the end of a day.
        let console = Browser::new(&app);
        console.sign_in(&officer.email).await;
        let csrf = console.csrf().await;
        let until = (chrono::Utc::now() + chrono::Duration::days(3)).date_naive().to_string();
        assert_eq!(console.post("/console/away", &[("csrf", &csrf), ("until", &until)]).await.status(), StatusCode::SEE_OTHER);
        let me: serde_json::Value = app.get("/api/v1/me", &officer.token).await.json().await.unwrap();
        assert!(me["away_until"].as_str().is_some_and(|u| u.starts_with(&(chrono::Utc::now() + chrono::Duration::days(4)).date_naive().to_string())), "{me}");
        assert!(console.get("/console").await.text().await.unwrap().contains("You are away until"));

        let scan = app.put_bytes(&format!("/api/v1/applications/{id}/documents/passport"), &applicant.token, "application/pdf", [minimal_pdf(), b"%%EOF\n".to_vec()].concat()).await;
        assert_eq!(scan.status(), StatusCode::OK);
        assert_eq!(app.act(&id, "respond", &applicant.token, Some(json!({"message": "Sent."}))).await.status(), StatusCode::OK);
        assert_eq!(app.scalar(&format!("SELECT status AS value FROM cases WHERE id = '{id}'")), "submitted", "back in the queue");
        assert_eq!(app.scalar(&format!("SELECT COALESCE(assigned_officer_id, 'none') AS value FROM cases WHERE id = '{id}'")), "none");
        let why = app.scalar(&format!("SELECT details AS value FROM case_events WHERE case_id = '{id}' AND action = 'release'"));
        assert!(why.contains("assignee_away"), "{why}");
        let colleague = app.staff("officer", "UTO-HQ").await;
        let other = Browser::new(&app);
        other.sign_in(&colleague.email).await;
        let queue = other.get("/console").await.text().await.unwrap();
        assert!(queue.contains("Information received"), "marked in the queue");

        // Back: answers wait for the officer again.
        let back = app.request(reqwest::Method::PUT, "/api/v1/me/away", Some(&officer.token), Some(&json!({"until": null}))).await;
        assert_eq!(back.status(), StatusCode::OK);
        assert!(back.json::<serde_json::Value>().await.unwrap().get("away_until").is_none());
    }

    async fn the_legal_clock_stops_while_the_applicant_answers_where_the_service_says(app: TestApp) {
        let applicant = app.applicant("clocked").await;
        let officer = app.staff("officer", "UTO-HQ").await;
        let admin = app.admin().await;
        let deadline = |id: &str| {
            let at = app.scalar(&format!("SELECT CAST(decision_deadline AS TEXT) AS value FROM cases WHERE id = '{id}'"));
            chrono::NaiveDateTime::parse_from_str(&at[..19], "%Y-%m-%d %H:%M:%S").unwrap()
        };
        for (pauses, moved_by) in [(true, 5), (false, 0)] {
            let setting = json!({"information_pauses_clock": pauses});
            let changed = app.request(reqwest::Method::PATCH, "/api/v1/admin/services/TOURIST", Some(&admin.token), Some(&setting)).await;
            assert_eq!(changed.json::<serde_json::Value>().await.unwrap()["information_pauses_clock"], pauses);
            let id = app.submitted(&applicant).await;
            app.post_empty("/api/v1/queue/claim", &officer.token).await;
            let before = deadline(&id);
            assert_eq!(app.act(&id, "request-info", &officer.token, Some(json!({"message": "Please confirm your hotel."}))).await.status(), StatusCode::OK);
            // The request has waited five days when the answer comes.
            let asked = (chrono::Utc::now() - chrono::Duration::days(5)).naive_utc().format("%Y-%m-%d %H:%M:%S").to_string();
            app.execute_sql(&format!("UPDATE case_events SET created_at = '{asked}' WHERE case_id = '{id}' AND action = 'request_info'"));
            assert_eq!(app.act(&id, "respond", &applicant.token, Some(json!({"message": "Confirmed."}))).await.status(), StatusCode::OK);
            let moved = deadline(&id) - before;
            let expected = chrono::Duration::days(moved_by);
            assert!((moved - expected).num_seconds().abs() < 120, "pauses={pauses}: moved by {moved}");
        }
    }
}
