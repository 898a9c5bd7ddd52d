//! SQLite history: schema, migrations, writer thread, queries. Owned by the store issue.
