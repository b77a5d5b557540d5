//! The use cases called in process, without HTTP, as the portal and the console will call them:
//! four-eyes, deadlines, visibility, grant defaults, eligibility, and a service that exists only
//! as a catalogue row.

use crate::helpers::{PASSWORD, PostgresDb, minimal_pdf, photo_png, postgres_url, valid_application};
use bytes::Bytes;
use evisa::app::applicant::{create, submit, upload};
use evisa::app::engine::{Audit, visible_case};
use evisa::app::review::decide::{self, Verdict};
use evisa::app::review::{claim, confirm, extend_deadline};
use evisa::app::{Applicant, CaseFile, Error, Staff, User, accounts};
use evisa::config::Config;
use evisa::db::jobs::{self, JobKind};
use evisa::db::{self, Db, users};
use evisa::domain::decision::Decision;
use evisa::domain::role::Role;
use evisa::domain::status::CaseStatus;
use evisa::issuance::e_visa::grant::GrantRequest;
use evisa::storage::DocumentStore;
use serde_json::{Value, json};
use std::sync::Arc;

/// The application layer over a fresh database, with no server.
struct World {
    db: Db,
    config: Arc<Config>,
    documents: DocumentStore,
    _dir: tempfile::TempDir,
    _postgres: Option<PostgresDb>,
}

impl World {
    fn new(postgres_server: Option<String>) -> World {
        let dir = tempfile::tempdir().unwrap();
        let postgres = postgres_server.map(|server| PostgresDb::create(&server));
        let mut config = Config::with_data_dir(dir.path().to_path_buf());
        if let Some(pg) = &postgres {
            config.database_url = pg.url.clone();
        }
        let state = evisa::startup::bootstrap(config.clone()).unwrap();
        World {
            db: state.db.clone(),
            documents: state.documents.clone(),
            config: Arc::new(config),
            _dir: dir,
            _postgres: postgres,
        }
    }

    fn sql(&self, sql: &str) {
        use diesel::connection::SimpleConnection;
        self.db.conn().unwrap().batch_execute(sql).unwrap();
    }

    fn user(&self, role: Role, post: Option<&str>) -> User {
        let account = accounts::validate(accounts::AccountInput {
            email: format!("{role}.{}@example.org", &uuid::Uuid::new_v4().simple().to_string()[..8]),
            password: PASSWORD.into(),
            full_name: format!("A {role}"),
            role,
            post: post.map(str::to_owned),
            preferred_language: None,
        })
        .unwrap();
        let mut conn = self.db.conn().unwrap();
        let row = accounts::insert(&mut conn, &account, "unused-hash").unwrap();
        users::mark_verified(&mut conn, &row.id, db::now()).unwrap();
        User { id: row.id, role, post: post.map(str::to_owned) }
    }

    fn applicant(&self) -> Applicant {
        Applicant::new(self.user(Role::Applicant, None)).unwrap()
    }

    fn staff(&self, role: Role, post: &str) -> Staff {
        Staff::new(self.user(role, Some(post))).unwrap()
    }

    async fn draft(&self, who: &Applicant, service: &str, form: Value) -> evisa::app::Result<CaseFile> {
        let draft = create::Draft { service: service.into(), post: "UTO-HQ".into(), form };
        create::create(&self.db, self.config.clone(), who, draft, Audit::default()).await
    }

    async fn upload(&self, who: &Applicant, id: &str, kind: &str, media_type: &str, bytes: Vec<u8>) {
        let admitted = upload::admit(&self.db, who, id.into(), kind.into(), Some(media_type.into())).await.unwrap();
        upload::store(&self.db, &self.documents, who, admitted, Bytes::from(bytes), Audit::default()).await.unwrap();
    }

    /// A submitted visa application of a new applicant for `visa_type`; returns its id.
    async fn submitted_visa(&self, visa_type: &str) -> (Applicant, String) {
        let who = self.applicant();
        let id = self.draft(&who, visa_type, visa_form()).await.unwrap().case.id;
        self.upload(&who, &id, "photo", "image/png", photo_png(413, 531)).await;
        self.upload(&who, &id, "passport", "application/pdf", minimal_pdf()).await;
        submit::submit(&self.db, self.config.clone(), &who, id.clone(), Audit::default()).await.unwrap();
        (who, id)
    }

    async fn claim(&self, who: &Staff, id: &str) -> CaseFile {
        claim::claim(&self.db, self.config.clone(), who, id.into(), Audit::default()).await.unwrap()
    }

    async fn approve(&self, who: &Staff, id: &str) -> evisa::app::Result<CaseFile> {
        let verdict = Verdict::Approve { grant: GrantRequest::default() };
        decide::decide(&self.db, self.config.clone(), who, id.into(), verdict, None, Audit::default()).await
    }

    fn issuance_queued(&self, id: &str) -> bool {
        jobs::find(&mut self.db.conn().unwrap(), JobKind::IssueOutput, id).unwrap().is_some()
    }
}

fn visa_form() -> Value {
    let mut form = valid_application();
    let fields = form.as_object_mut().unwrap();
    fields.remove("visa_type");
    fields.remove("post");
    form
}

fn fields(err: Error) -> Vec<(String, String)> {
    match err {
        Error::Invalid(problems) => problems.into_iter().map(|p| (p.field, p.code)).collect(),
        other => panic!("expected invalid fields, got {other:?}"),
    }
}

/// Runs each body on SQLite and, when configured, on PostgreSQL.
macro_rules! use_case_tests {
    ($(async fn $name:ident($world:ident: World) $body:block)*) => {
        $(
            mod $name {
                use super::*;

                async fn body($world: World) $body

                #[actix_web::test]
                async fn sqlite() {
                    body(World::new(None)).await
                }

                #[actix_web::test]
                async fn postgres() {
                    match postgres_url() {
                        Some(url) => body(World::new(Some(url))).await,
                        None => eprintln!("EVISA_TEST_POSTGRES_URL is not set: PostgreSQL variant not run"),
                    }
                }
            }
        )*
    };
}

use_case_tests! {
    async fn four_eyes_makes_an_approval_a_recommendation_its_author_cannot_confirm(world: World) {
        let (_, id) = world.submitted_visa("WORK").await;
        let first = world.staff(Role::Supervisor, "UTO-HQ");
        let second = world.staff(Role::Supervisor, "UTO-HQ");
        world.claim(&first, &id).await;
        let recommended = world.approve(&first, &id).await.unwrap();
        assert_eq!(recommended.case.status, CaseStatus::PendingApproval);
        assert!(!world.issuance_queued(&id), "nothing is issued on a recommendation");
        let own = confirm::confirm(&world.db, world.config.clone(), &first, id.clone(), Audit::default()).await;
        assert!(matches!(own, Err(Error::Forbidden(_))), "{own:?}");
        let confirmed =
            confirm::confirm(&world.db, world.config.clone(), &second, id.clone(), Audit::default()).await.unwrap();
        assert_eq!(confirmed.case.status, CaseStatus::Approved);
        assert!(world.issuance_queued(&id), "confirmation queues the issuing in the same transaction");
    }

    async fn a_post_can_require_four_eyes_for_every_service(world: World) {
        world.sql("UPDATE posts SET four_eyes = TRUE WHERE code = 'UTO-HQ'");
        let (_, id) = world.submitted_visa("TOURIST").await;
        let officer = world.staff(Role::Officer, "UTO-HQ");
        world.claim(&officer, &id).await;
        assert_eq!(world.approve(&officer, &id).await.unwrap().case.status, CaseStatus::PendingApproval);
    }

    async fn deadlines_follow_the_service_and_extensions_are_capped(world: World) {
        let (_, id) = world.submitted_visa("TOURIST").await;
        let case = CaseFile::load(&mut world.db.conn().unwrap(), &id).unwrap().case;
        let days = (case.decision_deadline.unwrap() - case.submitted_at.unwrap()).num_days();
        assert_eq!(days, 15, "the tourist service decides within 15 days");
        let supervisor = world.staff(Role::Supervisor, "UTO-HQ");
        let officer = world.staff(Role::Officer, "UTO-HQ");
        let extend = |who: Staff, days: i64| {
            let (db, config, id) = (world.db.clone(), world.config.clone(), id.clone());
            async move {
                extend_deadline::extend_deadline(&db, config, &who, id, days, Some("checks".into()), Audit::default())
                    .await
            }
        };
        assert!(matches!(extend(officer, 3).await, Err(Error::Forbidden(_))));
        assert_eq!(fields(extend(supervisor.clone(), i64::MAX).await.unwrap_err()), [("days".into(), "out_of_range".into())]);
        assert_eq!(fields(extend(supervisor.clone(), 31).await.unwrap_err()), [("days".into(), "beyond_limit".into())]);
        let extended = extend(supervisor, 30).await.unwrap().case;
        assert_eq!((extended.decision_deadline.unwrap() - extended.submitted_at.unwrap()).num_days(), 45);
    }

    async fn cases_are_visible_to_their_applicant_and_their_post_once_submitted(world: World) {
        world.sql("INSERT INTO posts (code, name, country, time_zone, created_at, four_eyes) VALUES ('UTO-LON', 'London', 'GBR', 'Europe/London', '2026-11-20 10:00:00', FALSE)");
        let (owner, id) = world.submitted_visa("TOURIST").await;
        let draft = world.draft(&owner, "TOURIST", visa_form()).await.unwrap().case.id;
        let here = world.user(Role::Officer, Some("UTO-HQ"));
        let abroad = world.user(Role::Officer, Some("UTO-LON"));
        let stranger = world.user(Role::Applicant, None);
        let admin = world.user(Role::Admin, Some("UTO-HQ"));
        let mut conn = world.db.conn().unwrap();
        assert!(visible_case(&mut conn, &id, &owner).is_ok());
        assert!(visible_case(&mut conn, &id, &here).is_ok());
        assert!(matches!(visible_case(&mut conn, &draft, &here), Err(Error::NotFound)), "drafts are the applicant's");
        assert!(matches!(visible_case(&mut conn, &id, &abroad), Err(Error::NotFound)));
        assert!(matches!(visible_case(&mut conn, &id, &stranger), Err(Error::NotFound)));
        assert!(matches!(visible_case(&mut conn, &id, &admin), Err(Error::Forbidden(_))));
    }

    async fn the_grant_defaults_to_the_trip_within_the_visa_type(world: World) {
        let (_, id) = world.submitted_visa("TOURIST").await;
        let officer = world.staff(Role::Officer, "UTO-HQ");
        world.claim(&officer, &id).await;
        let approved = world.approve(&officer, &id).await.unwrap().case;
        let Some(Decision::Approved { grant: Some(grant) }) = approved.decision.as_deref().map(|d| serde_json::from_str(d).unwrap()) else {
            panic!("approved with a grant");
        };
        let form = visa_form();
        assert_eq!(grant["valid_from"], form["travel"]["arrival_date"]);
        assert_eq!(grant["duration_of_stay_days"], 14, "the requested trip, both ends counted");
        assert_eq!(grant["entries"], "single", "the tourist visa's entries");
        assert!(world.issuance_queued(&id));
    }

    async fn eligibility_follows_the_service(world: World) {
        let citizen = world.applicant();
        let mut form = visa_form();
        form["applicant"]["nationality"] = json!("UTO");
        let refused = world.draft(&citizen, "TOURIST", form).await.unwrap_err();
        assert_eq!(fields(refused), [("applicant.nationality".into(), "not_eligible".into())]);
        let unknown = world.draft(&citizen, "NO_SUCH_SERVICE", visa_form()).await.unwrap_err();
        assert_eq!(fields(unknown), [("service".into(), "unknown".into())]);
    }

    async fn a_service_added_as_a_catalogue_row_goes_through_the_engine(world: World) {
        // No code knows this service: it is a row, with its documents and output kind.
        world.sql(r#"
            INSERT INTO services (code, name, description, eligibility, form_version, documents, fee_minor, currency, prepaid,
                                  processing_days, four_eyes, output, active, sort_order, created_at, updated_at)
            VALUES ('OVERSEAS_VOTER_REGISTRATION', 'Overseas voter registration', 'Registration of a citizen abroad as a voter', 'citizens', 1,
                    '[{"kind":"residence_proof","required":true,"media_types":["application/pdf"],"max_bytes":1000000}]',
                    0, 'EUR', FALSE, 20, FALSE, 'decision', TRUE, 100, '2026-11-27 00:00:00', '2026-11-27 00:00:00');
            INSERT INTO service_forms (service_code, version, schema, created_at)
            VALUES ('OVERSEAS_VOTER_REGISTRATION', 1, '{"type":"object","additionalProperties":false,
                "required":["applicant","address_abroad"],
                "properties":{"address_abroad":{"type":"string","minLength":5},
                  "applicant":{"type":"object","required":["surname","given_names","date_of_birth","nationality"],
                    "properties":{"surname":{"type":"string","minLength":1},"given_names":{"type":"string"},
                      "date_of_birth":{"type":"string","format":"date"},"nationality":{"type":"string","pattern":"^[A-Z<]{1,3}$"}}}}}',
                    '2026-11-27 00:00:00');
        "#);
        let citizen = world.applicant();
        let form = json!({"applicant": {"surname": "Nurly", "given_names": "Aigerim", "date_of_birth": "1991-05-04",
                                        "nationality": "UTO"}, "address_abroad": "12 Baker Street, London"});
        let foreigner = world.applicant();
        let mut foreign = form.clone();
        foreign["applicant"]["nationality"] = json!("GBR");
        assert_eq!(
            fields(world.draft(&foreigner, "OVERSEAS_VOTER_REGISTRATION", foreign).await.unwrap_err()),
            [("applicant.nationality".into(), "not_eligible".into())]
        );

        // The form is checked against the service's JSON Schema, field by field.
        let mut wrong = form.clone();
        wrong["applicant"]["date_of_birth"] = json!("1991-02-30");
        wrong["colour"] = json!("blue");
        assert_eq!(
            fields(world.draft(&citizen, "OVERSEAS_VOTER_REGISTRATION", wrong).await.unwrap_err()),
            [("/".into(), "additionalProperties".into()), ("/applicant/date_of_birth".into(), "format".into())]
        );
        let mut incomplete = form.clone();
        incomplete.as_object_mut().unwrap().remove("address_abroad");
        let partial = world.draft(&citizen, "OVERSEAS_VOTER_REGISTRATION", incomplete).await.unwrap().case.id;
        let refused = submit::submit(&world.db, world.config.clone(), &citizen, partial, Audit::default()).await;
        let refused = fields(refused.unwrap_err());
        assert!(refused.contains(&("/address_abroad".into(), "required".into())), "{refused:?}");

        let draft = world.draft(&citizen, "OVERSEAS_VOTER_REGISTRATION", form).await.unwrap();
        assert_eq!(draft.case.service, "consular");
        assert_eq!(draft.case.form_version, 1);
        let id = draft.case.id;
        let missing = submit::submit(&world.db, world.config.clone(), &citizen, id.clone(), Audit::default()).await;
        assert_eq!(fields(missing.unwrap_err()), [("documents.residence_proof".into(), "required".into())]);
        let photo = upload::admit(&world.db, &citizen, id.clone(), "photo".into(), Some("image/png".into())).await;
        assert!(matches!(photo, Err(Error::NotFound)), "the service asks for no photo");
        world.upload(&citizen, &id, "residence_proof", "application/pdf", minimal_pdf()).await;
        let submitted = submit::submit(&world.db, world.config.clone(), &citizen, id.clone(), Audit::default()).await.unwrap();
        assert_eq!(submitted.case.status, CaseStatus::Submitted);
        assert_eq!((submitted.case.decision_deadline.unwrap() - submitted.case.submitted_at.unwrap()).num_days(), 20);

        let officer = world.staff(Role::Officer, "UTO-HQ");
        world.claim(&officer, &id).await;
        let approved = world.approve(&officer, &id).await.unwrap().case;
        assert_eq!(approved.status, CaseStatus::Approved);
        assert_eq!(approved.decision.as_deref(), Some(r#"{"outcome":"approved"}"#), "a decision has no grant");
        assert!(!world.issuance_queued(&id), "a decision is the end: nothing to issue");
        let mut conn = world.db.conn().unwrap();
        let (mails, _) = evisa::db::outbox::list(&mut conn, None, 50, 0).unwrap();
        let events: Vec<&str> =
            mails.iter().filter(|m| m.case_id.as_deref() == Some(id.as_str())).map(|m| m.event.as_str()).collect();
        assert_eq!(events, ["approved", "submitted"], "the declared e-mails, newest first");
    }
}

use_case_tests! {
    async fn a_status_the_code_does_not_know_is_an_error_never_a_draft(world: World) {
        let (owner, id) = world.submitted_visa("TOURIST").await;
        world.sql(&format!("UPDATE cases SET status = 'archived' WHERE id = '{id}'"));
        let read = visible_case(&mut world.db.conn().unwrap(), &id, &owner);
        assert!(matches!(read, Err(Error::Internal(_))), "{read:?}");
    }
}
