//! The catalogue the portal's busiest pages show (active services with the schemas of their
//! current forms, and the posts), kept in memory and never answered stale for long. Every change
//! to services or posts goes through the catalogue's use cases, which write an administrator
//! event in the same transaction: a change committed by this process drops the copy at once, and
//! a watcher that reads the count and time of those events every quarter of a second drops it
//! when another node commits one.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::db::catalog::{self, PostRow, ServiceRow};
use crate::db::watch::Changes;
use crate::db::{Db, admin_events};

/// How often changes by other processes are looked for.
const WATCH_EVERY: Duration = Duration::from_millis(250);

/// The catalogue as the portal shows it.
#[derive(Debug)]
pub struct Catalogue {
    /// The active services, in catalogue order, with the schema of their current form.
    pub services: Vec<(ServiceRow, String)>,
    /// Every post, by code.
    pub posts: Vec<PostRow>,
}

impl Catalogue {
    /// The active service `code`, with its current form's schema.
    pub fn service(&self, code: &str) -> Option<&(ServiceRow, String)> {
        self.services.iter().find(|(s, _)| s.code == code)
    }
}

/// The copy of the catalogue, with the generation it was read in.
pub struct CatalogueCache {
    current: RwLock<Option<(u64, Arc<Catalogue>)>>,
    /// The database's changes to the catalogue: its count is the generation.
    changes: Changes,
}

impl CatalogueCache {
    /// Starts the cache and its watcher of changes made by other processes; the watcher stops
    /// when the cache is dropped.
    pub fn start(db: Db) -> std::io::Result<Arc<CatalogueCache>> {
        let changes = db.catalogue_changes().clone();
        let cache = Arc::new(CatalogueCache { current: RwLock::default(), changes: changes.clone() });
        let stamp = admin_events::catalogue_stamp;
        crate::db::watch::spawn("catalogue-cache", db, Arc::downgrade(&cache), WATCH_EVERY, stamp, changes)?;
        Ok(cache)
    }

    /// The catalogue: the copy if it is of the current generation, else read afresh. The
    /// generation is taken before the read, so a change that commits during it leaves the new
    /// copy stale rather than wrong.
    pub async fn get(&self, db: &Db) -> crate::app::Result<Arc<Catalogue>> {
        let generation = self.changes.seen();
        if let Some((read_in, catalogue)) = self.current.read().ok().and_then(|c| c.clone())
            && read_in == generation
        {
            return Ok(catalogue);
        }
        let catalogue = db
            .run::<_, crate::app::Error, _>(|conn| {
                Ok(Catalogue { services: catalog::list_services(conn)?, posts: catalog::list_posts(conn)? })
            })
            .await?;
        let catalogue = Arc::new(catalogue);
        if let Ok(mut current) = self.current.write() {
            *current = Some((generation, catalogue.clone()));
        }
        Ok(catalogue)
    }
}
