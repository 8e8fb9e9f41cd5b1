//! `store::disable_sqlite_memory_statistics`, which the binary calls first thing. A test file
//! of its own: it changes SQLite for the whole process, which no other test may share.

use mfactl::audit::Op;
use mfactl::store::{disable_sqlite_memory_statistics, Location, Store, StoreInit};
use mfactl::vault::Recipient;

#[test]
fn memory_statistics_are_off_once_disabled_before_the_first_connection() {
    // SAFETY: this process's only test; no other thread uses SQLite.
    assert!(unsafe { disable_sqlite_memory_statistics() });
    let dir = tempfile::tempdir().unwrap();
    let location = Location::parse(dir.path().join("s.db").as_os_str()).unwrap();
    let recipient = age::x25519::Identity::generate().to_public().to_string();
    let init = StoreInit {
        recipients: vec![Recipient::parse(&recipient).unwrap()],
        issuer: None,
    };
    let mut store = Store::create(&location, &Op::new("test"), &init).unwrap();
    assert!(store.settings().is_ok());
    // With the statistics kept, a store's schema and connection hold memory that SQLite counts.
    assert_eq!(unsafe { rusqlite::ffi::sqlite3_memory_used() }, 0);
    // SQLite is initialised now: the setting cannot change any more.
    assert!(!unsafe { disable_sqlite_memory_statistics() });
}
