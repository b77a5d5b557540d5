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

/// The verification log's own connection on PostgreSQL asks the kernel to write out what its
/// backend evicts as it goes (`backend_flush_after`): without it, the log's table pages pile up
/// dirty in the page cache and the next checkpoint's sync stalls every commit behind them.
#[test]
fn the_log_writers_postgresql_connection_flushes_its_writes_as_it_goes() {
    use diesel::prelude::*;
    use diesel::sql_types::Text;

    #[derive(QueryableByName)]
    struct Setting {
        #[diesel(sql_type = Text)]
        backend_flush_after: String,
    }

    let Some(server) = crate::helpers::postgres_url() else {
        eprintln!("EVISA_TEST_POSTGRES_URL is not set: PostgreSQL variant not run");
        return;
    };
    let fresh = crate::helpers::PostgresDb::create(&server);
    let db = Db::connect(&fresh.url, 1).unwrap();
    let show = |conn: &mut db::AnyConnection| match conn {
        db::AnyConnection::Postgresql(pg) => {
            diesel::sql_query("SHOW backend_flush_after").get_result::<Setting>(pg).unwrap().backend_flush_after
        }
        db::AnyConnection::Sqlite(_) => unreachable!("a PostgreSQL URL"),
    };
    assert_eq!(show(&mut db.dedicated().unwrap()), db::WRITER_FLUSH_AFTER);
    // The pool's connections, which mostly read, keep the server's setting.
    let mut plain = diesel::PgConnection::establish(&fresh.url).unwrap();
    let server_setting = diesel::sql_query("SHOW backend_flush_after").get_result::<Setting>(&mut plain).unwrap();
    assert_eq!(show(&mut db.conn().unwrap()), server_setting.backend_flush_after);
    drop(db);
}
