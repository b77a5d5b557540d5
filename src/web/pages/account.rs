//! Accounts in the portal: register, confirm the e-mail address, sign in and out, reset a
//! forgotten password. Each page calls the use case the JSON API calls.

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};
use std::collections::HashMap;

use super::schema_form::{Field, Input};
use super::{Ctx, attempt, check_csrf, i18n, session, signed_in, summary};
use crate::app::accounts::AccountInput;
use crate::app::{self, register, sign_in};
use crate::domain::role::Role;

use super::Form;

fn field(ctx: &Ctx, name: &str, label: &str, kind: &str, value: &str, hint: Option<&str>) -> Field {
    Field {
        name: name.to_owned(),
        id: format!("f-{name}"),
        label: ctx.t(label),
        hint: hint.map(|h| ctx.t(h).replace("{min}", &crate::domain::password_policy::MIN_LENGTH.to_string())),
        input: if kind == "password" { Input::Password } else { Input::Text },
        required: true,
        value: if kind == "password" { String::new() } else { value.to_owned() },
        shown: None,
        error: None,
        show_if: None,
    }
}

/// Renders a page of one form.
#[allow(clippy::too_many_arguments)]
fn form_page(
    ctx: &Ctx,
    heading: &str,
    intro: Option<String>,
    action: &str,
    submit: &str,
    mut fields: Vec<Field>,
    problems: &[crate::domain::FieldError],
    links: Value,
) -> HttpResponse {
    for f in &mut fields {
        f.error = problems
            .iter()
            .find(|p| super::schema_form::dotted(&p.field) == f.name)
            .map(|p| i18n::problem(ctx.lang, p, Some(&f.label)));
    }
    let errors = summary(ctx.lang, problems, &fields);
    let status = super::status_for(problems.is_empty());
    ctx.render_status(
        status,
        "form_page.html",
        json!({"title": heading, "heading": heading, "intro": intro, "action": action, "submit": ctx.t(submit),
               "fields": fields, "errors": errors, "links": links}),
    )
}

fn problems_of(err: app::Error) -> Result<Vec<crate::domain::FieldError>, app::Error> {
    match err {
        app::Error::Invalid(problems) => Ok(problems),
        other => Err(other),
    }
}

fn peer(ctx: &Ctx) -> String {
    crate::web::client_addr::client_addr(&ctx.req).map(|addr| addr.to_string()).unwrap_or_default()
}

/// A local path to go on to after signing in (never another site, and nothing a header could
/// not carry: a bad one is ignored, not a failure after the session is made).
fn next_path(ctx: &Ctx, form: Option<&HashMap<String, String>>) -> Option<String> {
    let query = web::Query::<HashMap<String, String>>::from_query(ctx.req.query_string()).ok();
    form.and_then(|f| f.get("next").cloned()).or_else(|| query.and_then(|q| q.get("next").cloned())).filter(|n| {
        n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') && n.bytes().all(|b| b.is_ascii_graphic())
    })
}

fn register_fields(ctx: &Ctx, form: &HashMap<String, String>) -> Vec<Field> {
    let value = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    vec![
        field(ctx, "full_name", "full_name", "text", value("full_name"), None),
        field(ctx, "email", "email", "text", value("email"), None),
        field(ctx, "password", "password", "password", "", Some("password_hint")),
    ]
}

async fn register_page(ctx: Ctx) -> HttpResponse {
    let links = json!([{"href": "/login", "text": ctx.t("have_account")}]);
    form_page(
        &ctx,
        &ctx.t("register_title"),
        None,
        "/register",
        "create_account",
        register_fields(&ctx, &HashMap::new()),
        &[],
        links,
    )
}

async fn register_post(ctx: Ctx, form: Form) -> HttpResponse {
    let form = form.into_inner();
    check_csrf!(ctx, form);
    if ctx.state.limits.ip(&ctx.req).is_err() {
        return ctx.fail(app::Error::RateLimited { retry_after_secs: 1 });
    }
    let input = AccountInput {
        email: form.get("email").cloned().unwrap_or_default(),
        password: form.get("password").cloned().unwrap_or_default(),
        full_name: form.get("full_name").cloned().unwrap_or_default(),
        role: Role::Applicant,
        post: None,
        preferred_language: Some(ctx.lang.to_owned()),
    };
    match register::register(&ctx.state.db, ctx.state.config.clone(), input, None).await {
        // A taken address gets the same answer as a new one, and no session either way: the
        // e-mailed code signs the new account in; the owner of a taken one is told by e-mail.
        Ok(_) => {
            let email = form.get("email").map(|e| e.trim().to_lowercase()).unwrap_or_default();
            let query = serde_urlencoded::to_string([("email", email)]).unwrap_or_default();
            ctx.redirect(&format!("/verify-email?{query}"))
        }
        Err(err) => {
            let problems = attempt!(ctx, problems_of(err));
            let links = json!([{"href": "/login", "text": ctx.t("have_account")}]);
            form_page(
                &ctx,
                &ctx.t("register_title"),
                None,
                "/register",
                "create_account",
                register_fields(&ctx, &form),
                &problems,
                links,
            )
        }
    }
}

/// What an e-mailed link (or the registration) carries in its query under `name`, if anything.
fn linked(ctx: &Ctx, name: &str) -> String {
    web::Query::<HashMap<String, String>>::from_query(ctx.req.query_string())
        .ok()
        .and_then(|q| q.get(name).cloned())
        .unwrap_or_default()
}

fn verify_form(
    ctx: &Ctx,
    intro: &str,
    email: &str,
    code: &str,
    problems: &[crate::domain::FieldError],
) -> HttpResponse {
    let mut code_field = field(ctx, "code", "code", "text", code, Some("code_hint"));
    code_field.input = Input::Code;
    let fields = vec![field(ctx, "email", "email", "text", email, None), code_field];
    let again = json!([{"href": "/verify-email/again", "text": ctx.t("send_code_again")}]);
    form_page(ctx, &ctx.t("verify_title"), Some(ctx.t(intro)), "/verify-email", "confirm", fields, problems, again)
}

async fn verify_page(ctx: Ctx) -> HttpResponse {
    verify_form(&ctx, "verify_intro", &linked(&ctx, "email"), &linked(&ctx, "code"), &[])
}

/// `GET /verify-email/again`: asks for the address to send a new code to.
async fn again_page(ctx: Ctx) -> HttpResponse {
    let fields = vec![field(&ctx, "email", "email", "text", "", None)];
    form_page(
        &ctx,
        &ctx.t("send_code_again"),
        Some(ctx.t("send_code_again_intro")),
        "/verify-email/again",
        "send_code",
        fields,
        &[],
        json!([]),
    )
}

/// `POST /verify-email/again`: a new code, if the address has an account still unconfirmed
/// (the answer is the same either way; asking again waits a while).
async fn again_post(ctx: Ctx, form: Form) -> HttpResponse {
    check_csrf!(ctx, form);
    let email = form.get("email").cloned().unwrap_or_default();
    let config = ctx.state.config.clone();
    attempt!(ctx, sign_in::resend_verification(&ctx.state.db, config, &ctx.state.login_throttle, &email, &peer(&ctx)));
    verify_form(&ctx, "code_sent_again", &email, "", &[])
}

async fn verify_post(mut ctx: Ctx, form: Form) -> HttpResponse {
    let form = form.into_inner();
    check_csrf!(ctx, form);
    let email = form.get("email").cloned().unwrap_or_default();
    let code = form.get("code").cloned().unwrap_or_default();
    match sign_in::verify_email(&ctx.state.db, &email, &code).await {
        Ok(account) => {
            // The code proves the mailbox: it signs its account in, as a reset code would.
            if ctx.visitor.is_none() && !account.disabled {
                let begun = attempt!(ctx, session::start(&ctx.state, &account).await);
                ctx.cookies.extend(begun.cookies);
                ctx.csrf = begun.form_token;
                ctx.visitor = Some(account);
            }
            let link = json!([{"href": "/account/cases", "text": ctx.t("continue")}]);
            ctx.render("message.html", json!({"heading": ctx.t("verified"), "paragraphs": [], "links": link}))
        }
        Err(err) => {
            let problems = attempt!(ctx, problems_of(err));
            verify_form(&ctx, "verify_intro", &email, &code, &problems)
        }
    }
}

fn login_form(ctx: &Ctx, email: &str, problems: &[crate::domain::FieldError], next: Option<String>) -> HttpResponse {
    let fields = vec![
        field(ctx, "email", "email", "text", email, None),
        field(ctx, "password", "password", "password", "", None),
    ];
    let action = match next {
        Some(next) => format!("/login?next={next}"),
        None => "/login".to_owned(),
    };
    let links = json!([{"href": "/register", "text": ctx.t("no_account")}, {"href": "/password-reset", "text": ctx.t("forgot_password")}]);
    form_page(ctx, &ctx.t("sign_in_title"), Some(ctx.t("staff_hint")), &action, "sign_in", fields, problems, links)
}

async fn login_page(ctx: Ctx) -> HttpResponse {
    let next = next_path(&ctx, None);
    login_form(&ctx, "", &[], next)
}

async fn login_post(ctx: Ctx, form: Form) -> HttpResponse {
    let form = form.into_inner();
    check_csrf!(ctx, form);
    let email = form.get("email").cloned().unwrap_or_default();
    let password = form.get("password").cloned().unwrap_or_default();
    let next = next_path(&ctx, Some(&form));
    match sign_in::sign_in(&ctx.state.db, &ctx.state.sign_ins, &email, password, &peer(&ctx)).await {
        Ok(account) => {
            // The language chosen before signing in becomes the account's (its e-mails too).
            if let Some(chosen) = ctx.req.cookie(i18n::LANG_COOKIE).and_then(|c| i18n::supported(c.value()))
                && chosen != account.preferred_language
            {
                attempt!(ctx, app::accounts::set_language(&ctx.state.db, account.id.clone(), chosen.to_owned()).await);
            }
            let begun = attempt!(ctx, session::start(&ctx.state, &account).await);
            let (home, _) = super::home_of(&account);
            ctx.redirect_with(next.as_deref().unwrap_or(home), begun.cookies)
        }
        Err(app::Error::Unauthenticated(detail)) => {
            login_form(&ctx, &email, &[crate::domain::FieldError::new("email", "invalid", detail)], next)
        }
        Err(other) => ctx.fail(other),
    }
}

async fn logout(ctx: Ctx, form: Form) -> HttpResponse {
    check_csrf!(ctx, form);
    attempt!(ctx, session::end(&ctx.state, &ctx.req).await);
    ctx.redirect_with("/login", [session::removal(&ctx.state, session::session_cookie(&ctx.state))])
}

async fn reset_page(ctx: Ctx) -> HttpResponse {
    let fields = vec![field(&ctx, "email", "email", "text", "", None)];
    form_page(
        &ctx,
        &ctx.t("reset_title"),
        Some(ctx.t("reset_intro")),
        "/password-reset",
        "send_code",
        fields,
        &[],
        json!([]),
    )
}

fn reset_confirm_form(
    ctx: &Ctx,
    token: &str,
    intro: Option<String>,
    problems: &[crate::domain::FieldError],
) -> HttpResponse {
    let fields = vec![
        field(ctx, "token", "code", "text", token, None),
        field(ctx, "password", "new_password", "password", "", Some("password_hint")),
    ];
    form_page(ctx, &ctx.t("reset_title"), intro, "/password-reset/confirm", "set_password", fields, problems, json!([]))
}

/// `GET /password-reset/confirm?token=`: the e-mailed link's page.
async fn reset_confirm_page(ctx: Ctx) -> HttpResponse {
    reset_confirm_form(&ctx, &linked(&ctx, "token"), None, &[])
}

async fn reset_post(ctx: Ctx, form: Form) -> HttpResponse {
    check_csrf!(ctx, form);
    let email = form.get("email").cloned().unwrap_or_default();
    attempt!(
        ctx,
        sign_in::request_reset(&ctx.state.db, ctx.state.config.clone(), &ctx.state.login_throttle, &email, &peer(&ctx))
    );
    reset_confirm_form(&ctx, "", Some(ctx.t("reset_sent")), &[])
}

async fn reset_confirm(ctx: Ctx, form: Form) -> HttpResponse {
    let form = form.into_inner();
    check_csrf!(ctx, form);
    let token = form.get("token").cloned().unwrap_or_default();
    let password = form.get("password").cloned().filter(|p| !p.is_empty());
    match sign_in::reset_password(&ctx.state.db, &token, password).await {
        Ok(account) => {
            ctx.state.sessions.forget(&account);
            let link = json!([{"href": "/login", "text": ctx.t("sign_in")}]);
            ctx.render("message.html", json!({"heading": ctx.t("password_changed"), "paragraphs": [], "links": link}))
        }
        Err(err) => {
            let problems = attempt!(ctx, problems_of(err));
            let fields = vec![
                field(&ctx, "token", "code", "text", &token, None),
                field(&ctx, "password", "new_password", "password", "", Some("password_hint")),
            ];
            form_page(
                &ctx,
                &ctx.t("reset_title"),
                None,
                "/password-reset/confirm",
                "set_password",
                fields,
                &problems,
                json!([]),
            )
        }
    }
}

/// `POST /account/language`: the signed-in switch of language, for the pages and the e-mails.
async fn language_post(ctx: Ctx, form: Form) -> HttpResponse {
    check_csrf!(ctx, form);
    let user = signed_in!(ctx);
    let Some(lang) = form.get("lang").and_then(|l| i18n::supported(l)) else {
        return ctx.fail(app::Error::invalid_field("lang", "invalid", "en, ru or kk"));
    };
    attempt!(ctx, app::accounts::set_language(&ctx.state.db, user.id, lang.to_owned()).await);
    let back = form
        .get("back")
        .filter(|b| b.starts_with('/') && !b.starts_with("//") && b.bytes().all(|c| c.is_ascii_graphic() && c != b'\\'))
        .map_or("/", String::as_str);
    ctx.redirect_with(back, [session::cookie(&ctx.state, i18n::LANG_COOKIE, lang.to_owned())])
}

/// The account pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/register", web::get().to(register_page))
        .route("/register", web::post().to(register_post))
        .route("/verify-email", web::get().to(verify_page))
        .route("/verify-email", web::post().to(verify_post))
        .route("/verify-email/again", web::get().to(again_page))
        .route("/verify-email/again", web::post().to(again_post))
        .route("/login", web::get().to(login_page))
        .route("/login", web::post().to(login_post))
        .route("/logout", web::post().to(logout))
        .route("/account/language", web::post().to(language_post))
        .route("/password-reset", web::get().to(reset_page))
        .route("/password-reset", web::post().to(reset_post))
        .route("/password-reset/confirm", web::get().to(reset_confirm_page))
        .route("/password-reset/confirm", web::post().to(reset_confirm));
}
