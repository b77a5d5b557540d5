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
}
