//! The database layer under failure: a panic inside a write transaction.

use crate::backend_tests;
use evisa::db::catalog::{self, PostRow};
use evisa::db::{self, Db};

fn post(code: &str) -> PostRow {
    PostRow {
        code: code.into(),
        name: format!("Post {code}"),
        country: "GBR".into(),
        time_zone: "UTC".into(),
        created_at: db::now(),
        four_eyes: false,
        texts: "{}".into(),
    }
}

backend_tests! {
    async fn a_panic_inside_a_write_neither_commits_nor_poisons_the_pool(app: TestApp) {
        // One connection, so the write after the panic gets the same pool slot.
        let db = Db::connect(&app.config.database_url, 1).unwrap();
        let panicked = db
            .write(|conn| -> evisa::app::Result<()> {
                catalog::insert_post(conn, &post("PANIC-1"))?;
                panic!("a bug inside a write transaction");
            })
            .await;
        assert!(panicked.is_err(), "the panic surfaces as an error");

        db.write::<_, evisa::db::DbError, _>(|conn| Ok(catalog::insert_post(conn, &post("AFTER-1"))?)).await.unwrap();
        drop(db);

        // Read from outside the pool: the later write is committed, the panicked one is not.
        let count = |code: &str| app.scalar(&format!("SELECT CAST(COUNT(*) AS TEXT) AS value FROM posts WHERE code = '{code}'"));
        assert_eq!(count("PANIC-1"), "0", "the panicked write was rolled back");
        assert_eq!(count("AFTER-1"), "1", "the next write on the same pool slot was committed");
    }
}
