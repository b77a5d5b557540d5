//! Administration in the console (`/console/admin`): consular posts (add, four-eyes policy),
//! staff accounts (add, disable or enable) and services (add, activate or deactivate). Each form
//! calls the use case the JSON API calls.

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};
use std::collections::HashMap;

use super::draft::fee_text;
use super::{Ctx, attempt, check_csrf, signed_in};
use crate::app::accounts::AccountInput;
use crate::app::catalogue::{self, ServiceInput};
use crate::app::posts::{self, NewPost};
use crate::app::register::{self, CreatedBy};
use crate::app::staff_accounts::{self, AccountUpdate};
use crate::app::{self, Admin};
use crate::db::catalog::{self, PostChanges};
use crate::db::users;
use crate::domain::FieldError;
use crate::domain::form_design::Design;
use crate::domain::role::Role;
use crate::domain::service::Fee;
use crate::domain::texts::Texts;

use super::Form;

/// The signed-in administrator, or the page that says why not.
pub(super) fn admin(ctx: &Ctx) -> Result<Admin, HttpResponse> {
    let user = ctx.require_user()?;
    Admin::new(user).map_err(|err| ctx.fail(err))
}

/// The signed-in administrator; otherwise returns the page that says why not.
macro_rules! as_admin {
    ($ctx:expr) => {
        match $crate::web::pages::admin::admin(&$ctx) {
            Ok(admin) => admin,
            Err(response) => return response,
        }
    };
}
pub(super) use as_admin;

/// `GET /console/admin`.
async fn overview(ctx: Ctx) -> HttpResponse {
    overview_page(ctx, None).await
}

/// A form of the administration page that was refused: which (`post`, `staff`, `service`),
/// what it said, and what was wrong.
struct Refused {
    form: &'static str,
    posted: HashMap<String, String>,
    problems: Vec<FieldError>,
}

/// The id of the field of form `form` a problem with `field` is put right in.
fn field_id(form: &str, field: &str) -> String {
    let field = field.split(['.', '[']).next().unwrap_or(field);
    let id = match (form, field) {
        ("post", "time_zone") => "tz",
        ("staff", "full_name") => "name",
        ("service", "processing_days") => "days",
        ("service", "form_schema") => "schema",
        (_, other) => other,
    };
    let prefix = match form {
        "post" => "p",
        "staff" => "s",
        _ => "v",
    };
    format!("{prefix}-{id}")
}

/// The administration page, with a refused form's answers and problems if there was one.
async fn overview_page(ctx: Ctx, refused: Option<Refused>) -> HttpResponse {
    let _ = signed_in!(ctx);
    let _admin = as_admin!(ctx);
    let (posts, staff, services) = attempt!(
        ctx,
        ctx.state
            .db
            .run::<_, crate::app::Error, _>(|conn| {
                let posts = catalog::list_posts(conn)?;
                let staff = users::list_staff(conn, None, 500, 0)?.0;
                let services = catalog::list_all_services(conn)?;
                Ok((posts, staff, services))
            })
            .await
    );
    let posts: Vec<Value> = posts
        .iter()
        .map(|p| json!({"code": p.code, "name": p.name_in(ctx.lang), "time_zone": p.time_zone, "four_eyes": p.four_eyes}))
        .collect();
    let staff: Vec<Value> = staff
        .iter()
        .map(|u| json!({"id": u.id, "full_name": u.full_name, "email": u.email, "role": u.role, "post": u.post_code, "disabled": u.disabled}))
        .collect();
    let services: Vec<Value> = services
        .iter()
        .map(|s| json!({"code": s.code, "name": s.name_in(ctx.lang), "output": s.output, "active": s.active, "fee": fee_text(s.fee_minor, &s.currency)}))
        .collect();
    let notice = ctx.req.query_string().contains("saved=1").then(|| ctx.t("saved"));
    // What the forms show: their defaults, or what the refused one said (never a password).
    let mut kept = json!({"post": {}, "staff": {}, "service": {"fee": "0", "currency": "EUR", "processing_days": "15", "documents": "[]",
                                                                  "information_pauses_clock": "true"}});
    let mut errors = Vec::new();
    if let Some(Refused { form, mut posted, problems }) = refused {
        posted.remove("password");
        posted.remove("csrf");
        kept[form] = json!(posted);
        errors = problems
            .iter()
            .map(|p| {
                let id = field_id(form, &p.field);
                let label = ctx.t(p.field.split(['.', '[']).next().unwrap_or_default());
                json!({"text": super::i18n::problem(ctx.lang, p, Some(&label)), "id": id})
            })
            .collect();
    }
    ctx.render_status(
        super::status_for(errors.is_empty()),
        "admin.html",
        json!({"title": ctx.t("administration"), "posts": posts, "staff": staff, "services": services, "notice": notice,
               "kept": kept, "errors": errors, "min_password": crate::domain::password_policy::MIN_LENGTH.to_string()}),
    )
}

fn field(form: &HashMap<String, String>, key: &str) -> String {
    form.get(key).map(|v| v.trim().to_owned()).unwrap_or_default()
}

fn flag(form: &HashMap<String, String>, key: &str) -> bool {
    form.get(key).is_some_and(|v| v == "true")
}

/// A refused form: the page again with what was typed and what is wrong with it, or the error's
/// own page when it is not a problem with the answers.
async fn refused(ctx: Ctx, form: &'static str, posted: HashMap<String, String>, err: app::Error) -> HttpResponse {
    match err {
        app::Error::Invalid(problems) => overview_page(ctx, Some(Refused { form, posted, problems })).await,
        other => ctx.fail(other),
    }
}

fn saved(ctx: &Ctx, anchor: &str) -> HttpResponse {
    ctx.redirect(&format!("/console/admin?saved=1#{anchor}"))
}

/// `POST /console/admin/posts`.
async fn add_post(ctx: Ctx, form: Form) -> HttpResponse {
    check_csrf!(ctx, form);
    let admin = as_admin!(ctx);
    let post = NewPost {
        code: field(&form, "code"),
        name: field(&form, "name"),
        country: field(&form, "country"),
        time_zone: field(&form, "time_zone"),
        four_eyes: flag(&form, "four_eyes"),
        texts: post_names(&form),
    };
    let created = posts::create_post(&ctx.state.db, &admin, post, None).await;
    match created {
        Ok(_) => saved(&ctx, "posts"),
        Err(err) => refused(ctx, "post", form.into_inner(), err).await,
    }
}

/// The post's name in Russian and Kazakh, from the fields `name_ru` and `name_kk`.
fn post_names(form: &HashMap<String, String>) -> Texts {
    let mut texts = Texts::default();
    for lang in ["ru", "kk"] {
        let name = field(form, &format!("name_{lang}"));
        if !name.is_empty() {
            texts.insert(lang, "name", &name);
        }
    }
    texts
}

/// `POST /console/admin/posts/{code}`: the four-eyes policy.
async fn change_post(ctx: Ctx, path: web::Path<String>, form: Form) -> HttpResponse {
    check_csrf!(ctx, form);
    let admin = as_admin!(ctx);
    let changes = PostChanges { four_eyes: Some(flag(&form, "four_eyes")), ..PostChanges::default() };
    match posts::update_post(&ctx.state.db, &admin, path.into_inner(), changes, None).await {
        Ok(_) => saved(&ctx, "posts"),
        Err(err) => ctx.fail(err),
    }
}

/// `POST /console/admin/staff`.
async fn add_staff(ctx: Ctx, form: Form) -> HttpResponse {
    check_csrf!(ctx, form);
    let admin = as_admin!(ctx);
    let role = match field(&form, "role").as_str() {
        "supervisor" => Role::Supervisor,
        "admin" => Role::Admin,
        _ => Role::Officer,
    };
    let input = AccountInput {
        email: field(&form, "email"),
        password: form.get("password").cloned().unwrap_or_default(),
        full_name: field(&form, "full_name"),
        role,
        post: Some(field(&form, "post")),
        preferred_language: Some(ctx.lang.to_owned()),
    };
    let audit = CreatedBy { actor_id: admin.id.clone(), request_id: String::new() };
    let created = register::register(&ctx.state.db, ctx.state.config.clone(), input, Some(audit)).await;
    match created {
        Ok(_) => saved(&ctx, "staff"),
        Err(err) => refused(ctx, "staff", form.into_inner(), err).await,
    }
}

/// `POST /console/admin/staff/{id}`: disables or enables an account.
async fn change_staff(ctx: Ctx, path: web::Path<String>, form: Form) -> HttpResponse {
    check_csrf!(ctx, form);
    let admin = as_admin!(ctx);
    let update = AccountUpdate { disabled: Some(flag(&form, "disabled")), ..AccountUpdate::default() };
    match staff_accounts::update_account(&ctx.state.db, &admin, path.into_inner(), update, String::new()).await {
        Ok(row) => {
            ctx.state.sessions.forget(&row.id);
            saved(&ctx, "staff")
        }
        Err(err) => ctx.fail(err),
    }
}

fn json_field(form: &HashMap<String, String>, key: &str) -> Result<Value, app::Error> {
    serde_json::from_str(&field(form, key))
        .map_err(|e| app::Error::invalid_field(key, "invalid", format!("not JSON: {e}")))
}

/// `POST /console/admin/services`.
async fn add_service(ctx: Ctx, form: Form) -> HttpResponse {
    check_csrf!(ctx, form);
    let admin = as_admin!(ctx);
    let parsed = (|| -> Result<ServiceInput, app::Error> {
        Ok(ServiceInput {
            name: Some(field(&form, "name")),
            description: Some(field(&form, "description")),
            eligibility: Some(app::decode(Value::String(field(&form, "eligibility")))?),
            // Left empty, the form is designed in the designer, from the applicant's identity.
            form_schema: Some(match field(&form, "form_schema").as_str() {
                "" => Design::starter().compile(&[]).map_err(app::Error::Invalid)?.schema,
                _ => json_field(&form, "form_schema")?,
            }),
            documents: Some(match field(&form, "documents").as_str() {
                "" => Vec::new(),
                _ => app::decode(json_field(&form, "documents")?)?,
            }),
            fee: Some(Fee {
                amount_minor: field(&form, "fee")
                    .parse()
                    .map_err(|_| app::Error::invalid_field("fee", "invalid", "a whole number of cents"))?,
                currency: field(&form, "currency"),
            }),
            prepaid: Some(flag(&form, "prepaid")),
            paid_before_issue: Some(flag(&form, "paid_before_issue")),
            information_pauses_clock: Some(flag(&form, "information_pauses_clock")),
            information_lapse: match field(&form, "information_lapse").as_str() {
                "" => None,
                lapse => Some(app::decode(Value::String(lapse.to_owned()))?),
            },
            processing_days: field(&form, "processing_days").parse().ok(),
            four_eyes: Some(flag(&form, "four_eyes")),
            output: Some(app::decode(Value::String(field(&form, "output")))?),
            active: Some(true),
            texts: match field(&form, "texts").as_str() {
                "" => None,
                _ => Some(app::decode(json_field(&form, "texts")?)?),
            },
        })
    })();
    let created = match parsed {
        Ok(input) => catalogue::create_service(&ctx.state.db, &admin, field(&form, "code"), input, String::new()).await,
        Err(err) => Err(err),
    };
    match created {
        Ok(service) if field(&form, "form_schema").is_empty() => {
            ctx.redirect(&format!("/console/admin/services/{}/form", service.code))
        }
        Ok(_) => saved(&ctx, "services"),
        Err(err) => refused(ctx, "service", form.into_inner(), err).await,
    }
}

/// `POST /console/admin/services/{code}`: activates or deactivates a service.
async fn change_service(ctx: Ctx, path: web::Path<String>, form: Form) -> HttpResponse {
    check_csrf!(ctx, form);
    let admin = as_admin!(ctx);
    let input = ServiceInput { active: Some(flag(&form, "active")), ..ServiceInput::default() };
    match catalogue::update_service(&ctx.state.db, &admin, path.into_inner(), input, String::new()).await {
        Ok(_) => saved(&ctx, "services"),
        Err(err) => ctx.fail(err),
    }
}

/// The administration pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/console/admin", web::get().to(overview))
        .route("/console/admin/posts", web::post().to(add_post))
        .route("/console/admin/posts/{code}", web::post().to(change_post))
        .route("/console/admin/staff", web::post().to(add_staff))
        .route("/console/admin/staff/{id}", web::post().to(change_staff))
        .route("/console/admin/services", web::post().to(add_service))
        .route("/console/admin/services/{code}", web::post().to(change_service));
}
